# syntax=docker/dockerfile:1
# The incident bot as a container image: built in one stage, run in a slim one with production dependencies only,
# as a user without privileges.
#
#   docker build -t incident-bot .
#   docker run --init -p 3000:3000 -e DATABASE_URL=postgres://… -e SLACK_BOT_TOKEN=xoxb-… \
#     -e SLACK_SIGNING_SECRET=… incident-bot
#
# The runbook's commands (atom-cli, alembic, and what they call in turn, such as the aws CLI) are not in this image.
# Either build on an image that has them:
#
#   docker build --build-arg BASE_IMAGE=registry.example.com/ops-tools:node20 -t incident-bot .
#
# (a Debian-based image with Node.js 20 or later and its `node` user, e.g. made FROM node:20-bookworm-slim), or mount
# them into this one and point ATOM_CLI and ALEMBIC_CLI at them. See "Deploying" in README.md.
ARG BASE_IMAGE=node:20-bookworm-slim

FROM node:20-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# What reaches the build is what .dockerignore lets through: the sources, scripts, runbook, manifest and README.
COPY . .
# The runtime installs exactly the package npm pack makes (dist/ with the migrations, the runbook, the manifest):
# the same install CI checks (scripts/check-production-install.mjs).
RUN npm run build \
  && npm pack --silent \
  && mkdir /app \
  && tar -xzf incident-bot-*.tgz -C /app --strip-components=1 \
  && cp package-lock.json /app/

FROM ${BASE_IMAGE} AS runtime
ENV NODE_ENV=production \
  PORT=3000 \
  DATA_DIR=/data
WORKDIR /app
COPY --from=build /app ./
# Production dependencies only, installed here so that platform packages fit the runtime image. The code stays owned
# by root and read-only to the bot; only DATA_DIR (the embedded database, when DATABASE_URL is unset) is its own.
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force \
  && mkdir -p /data \
  && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# /alive answers whenever the process does (no database): a restart cures what this catches. Readiness with the
# database is GET /health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/alive').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# scripts/run.sh, not npm start: dist/ is already built, and the shell gives its process to node (signals reach the bot
# directly), with the young generation for where the database is.
CMD ["sh", "scripts/run.sh"]
