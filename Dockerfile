# syntax=docker/dockerfile:1
# One image definition for every app: `--build-arg APP=<name>` picks the service.
# Stage 1 builds the whole workspace; stage 2 keeps production dependencies and the built output.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/config/package.json libs/config/
COPY libs/contracts/package.json libs/contracts/
COPY libs/messaging/package.json libs/messaging/
COPY libs/observability/package.json libs/observability/
COPY libs/persistence/package.json libs/persistence/
COPY libs/storage/package.json libs/storage/
COPY libs/testing/package.json libs/testing/
RUN npm install --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false NX_TUI=false npx nx run-many -t build --exclude=e2e,lib-testing --skip-nx-cache \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ARG APP
# The render worker needs ffmpeg, a TTS engine and fonts; the files service needs ffprobe and pdftotext.
RUN if [ "$APP" = "render-worker" ] || [ "$APP" = "files" ]; then \
      apt-get update && apt-get install -y --no-install-recommends ffmpeg espeak-ng fonts-dejavu-core poppler-utils \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
ENV NODE_ENV=production APP=${APP}
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/libs ./libs
COPY --from=build /app/apps/${APP}/dist ./apps/${APP}/dist
COPY --from=build /app/scripts/migrate.mjs /app/scripts/lib/infra.mjs ./scripts/
RUN rm -rf libs/*/src libs/testing \
 && mkdir -p /var/lib/platform/storage && chown -R node:node /var/lib/platform
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
CMD ["sh", "-c", "exec node apps/${APP}/dist/main.js"]
