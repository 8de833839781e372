import { describe, expect, it } from 'vitest';
import { DockerfileError, interpretDockerfile } from '../../cloud/simcloud/builds/dockerfile';

describe('interpretDockerfile (pure)', () => {
  it('turns each instruction into a step and collects the image config', () => {
    const plan = interpretDockerfile(`# syntax=docker/dockerfile:1
ARG NODE=20
FROM node:\${NODE}-slim
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --chown=node package*.json ./
RUN npm ci && \\
    npm cache clean --force
COPY . .
WORKDIR src
EXPOSE \${PORT} 9000/udp
USER node
LABEL org.opencontainers.image.title=demo
CMD ["node", "server.js"]
`);
    expect(plan.steps.map((s) => s.text)).toEqual([
      'ARG NODE=…',
      'FROM node:${NODE}-slim',
      'ENV NODE_ENV=… PORT=…',
      'WORKDIR /app',
      'COPY package*.json ./',
      'RUN npm ci && npm cache clean --force',
      'COPY . .',
      'WORKDIR src',
      'EXPOSE ${PORT} 9000/udp',
      'USER node',
      'LABEL org.opencontainers.image.title=demo',
      'CMD ["node", "server.js"]',
    ]);
    expect(plan.steps[1]!.from).toEqual({ image: 'node:20-slim', stage: false });
    expect(plan.steps[4]!.copy).toEqual({ sources: ['package*.json'], dest: './', fromStage: null });
    expect(plan.steps[5]!.run).toBe(true);
    expect(plan.image).toEqual({
      baseImage: 'node:20-slim',
      env: { NODE_ENV: 'production', PORT: '8080' },
      ports: [
        { port: 8080, protocol: 'TCP' },
        { port: 9000, protocol: 'UDP' },
      ],
      cmd: ['node', 'server.js'],
      entrypoint: null,
      workdir: '/app/src',
    });
  });

  it('records shell-form CMD and ENTRYPOINT as Docker does, and expands port ranges', () => {
    const plan = interpretDockerfile('FROM alpine:3\nENTRYPOINT ["/entry.sh"]\nCMD exec nginx -g "daemon off;"\nEXPOSE 8000-8002/tcp 80\n');
    expect(plan.image.entrypoint).toEqual(['/entry.sh']);
    expect(plan.image.cmd).toEqual(['/bin/sh', '-c', 'exec nginx -g "daemon off;"']);
    expect(plan.image.ports.map((p) => p.port)).toEqual([8000, 8001, 8002, 80]);
  });

  it('takes the final stage; a stage built FROM an earlier one inherits its config', () => {
    const plan = interpretDockerfile(`FROM golang:1.22 AS build
ENV CGO_ENABLED=0
WORKDIR /src
RUN go build -o /out/app
FROM build AS test
RUN go test ./...
FROM gcr.io/distroless/static
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`);
    expect(plan.steps[4]!.from).toEqual({ image: 'build', stage: true });
    expect(plan.steps[7]!.copy).toEqual({ sources: ['/out/app'], dest: '/app', fromStage: 'build' });
    expect(plan.image).toMatchObject({ baseImage: 'gcr.io/distroless/static', env: {}, workdir: null, entrypoint: ['/app'] });
    const test = interpretDockerfile('FROM golang:1.22 AS build\nENV A=1\nWORKDIR /src\nFROM build\nRUN true\n');
    expect(test.image).toMatchObject({ baseImage: 'golang:1.22', env: { A: '1' }, workdir: '/src' });
  });

  it.each([
    ['', /no FROM instruction/],
    ['# only a comment\nRUN echo hi\n', /RUN before the first FROM \(line 2\)/],
    ['ARG X=1\n', /no FROM instruction/],
    ['FROM alpine\nFROBNICATE now\n', /unknown instruction FROBNICATE \(line 2\)/],
    ['FROM alpine\nEXPOSE http\n', /EXPOSE: invalid port http/],
    ['FROM alpine\nCOPY onlyone\n', /COPY needs a source and a destination/],
  ])('rejects %j', (text, message) => {
    expect(() => interpretDockerfile(text)).toThrow(DockerfileError);
    expect(() => interpretDockerfile(text)).toThrow(message);
  });
});
