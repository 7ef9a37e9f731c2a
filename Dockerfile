# syntax=docker/dockerfile:1
# One image definition for every app: `docker build --build-arg APP=<app> -t video-platform/<app> .`
# (gateway, jobs, videos, files, users, render-worker). Every image carries the built output of
# all apps (a few MB) so that any of them can run the migrations (deploy/migrate-job.mjs: every
# schema for compose, its own service's in each Kubernetes `migrate` initContainer);
# APP picks the process it starts. Production dependencies only; runs as the unprivileged `node`
# user (uid 1000) and works with a read-only root file system (writable: /tmp, the storage mount).

ARG NODE_IMAGE=node:20-bookworm-slim

# Stage 1: every dependency, then the build, then the dev dependencies pruned away; /out keeps
# only what runs: each lib's package.json + dist, each app's dist, the migration scripts.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NX_DAEMON=false NX_TUI=false NX_NO_CLOUD=true
COPY package.json package-lock.json ./
COPY libs/config/package.json libs/config/
COPY libs/contracts/package.json libs/contracts/
COPY libs/messaging/package.json libs/messaging/
COPY libs/observability/package.json libs/observability/
COPY libs/persistence/package.json libs/persistence/
COPY libs/storage/package.json libs/storage/
COPY libs/testing/package.json libs/testing/
# The committed lockfile (`npm ci` trips over optional packages of other platforms).
RUN npm install --no-audit --no-fund
COPY . .
RUN npx nx run-many -t build --exclude=e2e,lib-testing,deploy --skip-nx-cache \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/.cache \
 && mkdir -p /out/libs /out/apps /out/scripts/lib /out/deploy \
 && for l in config contracts messaging observability persistence storage; do \
      mkdir -p /out/libs/$l && cp -r libs/$l/package.json libs/$l/dist /out/libs/$l/; \
    done \
 && for a in gateway jobs videos files users render-worker; do mkdir -p /out/apps/$a && cp -r apps/$a/dist /out/apps/$a/; done \
 && cp scripts/migrate.mjs /out/scripts/ && cp scripts/lib/infra.mjs /out/scripts/lib/ \
 && cp deploy/migrate-job.mjs /out/deploy/

# Stage 2: the runtime. The render worker needs ffmpeg, a TTS engine and fonts; the files
# service ffprobe and pdftotext; the others nothing beyond Node.
FROM ${NODE_IMAGE} AS runtime
ARG APP
RUN test -n "$APP" || (echo "--build-arg APP=<app> is required" >&2; exit 1) \
 && if [ "$APP" = "render-worker" ] || [ "$APP" = "files" ]; then \
      apt-get update && apt-get install -y --no-install-recommends ffmpeg espeak-ng fonts-dejavu-core fonts-wqy-microhei fonts-symbola poppler-utils \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
ENV NODE_ENV=production APP=${APP} HTTP_PORT=3000 STORAGE_DIR=/var/lib/platform/storage
# glibc keeps up to 64 MiB of freed heap instead of handing it back to the kernel at once: Node
# copies every received body chunk into a fresh allocation, and with the default (128 KiB) the
# gateway faulted each page of an upload in again (about 25 000 page faults, 100-250 ms of kernel
# time per 100 MB). Memory stays bounded: the heap is reused, not grown.
ENV MALLOC_TRIM_THRESHOLD_=67108864
# V8's young generation may grow to 2 x 32 MiB (the default stops at 16 MiB): at tens of thousands
# of requests a second the gateway otherwise settled, run by run, into a mode where short-lived
# request objects got promoted and collected by the old generation's collector, and a status poll
# cost 45 µs of CPU instead of 32.
ENV NODE_OPTIONS=--max-semi-space-size=32
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /out/ ./
RUN mkdir -p /var/lib/platform/storage && chown -R node:node /var/lib/platform
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HTTP_PORT+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["sh", "-c", "exec node apps/${APP}/dist/main.js"]
