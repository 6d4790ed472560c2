# syntax=docker/dockerfile:1
#
# warroom: one image, two roles (SERVICES=web | worker | web,worker).
#
#   docker build -t warroom:local .
#   docker run --rm -p 127.0.0.1:3000:3000 --env-file .env \
#     -v "$PWD/config/warroom.example.yaml:/etc/warroom/warroom.yaml:ro" warroom:local
#
# Pin the base image by digest in your registry mirror for reproducible builds
# (e.g. --build-arg NODE_IMAGE=node:22-bookworm-slim@sha256:...). Node 20.19+ works too
# (package.json engines); 22 is the default because Node 20 is past its end of life.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: full dependency tree, TypeScript compiled to dist/ ------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: nothing the build needs runs an install script (tsc is plain JS).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: production dependencies only ------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
# msgpackr-extract (via bullmq) ships prebuilt optional binaries and falls back to JS; no
# install script is needed at run time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    SERVICES=web,worker \
    WARROOM_CONFIG=/etc/warroom/warroom.yaml
WORKDIR /app

# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify it without a name lookup.
RUN groupadd --system --gid 10001 warroom \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin warroom

# Code and dependencies stay owned by root: the app user can read them, not change them.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config/warroom.example.yaml /etc/warroom/warroom.example.yaml

USER 10001:10001
EXPOSE 3000

# No curl in the slim image: node's own fetch. Both roles serve /healthz on PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# SIGTERM goes straight to node (exec form), which drains and exits (SHUTDOWN_TIMEOUT_MS).
CMD ["node", "dist/main.js"]
