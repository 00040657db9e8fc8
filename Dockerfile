# syntax=docker/dockerfile:1.7
# One image for the whole mesh. The first argument picks what runs:
#   docker run IMAGE pod                  a service (gateway, pod, keymanager, agent, objectstore)
#   docker run IMAGE symphony-admin ...   the operator CLI
# Services run from their TypeScript sources through tsx, exactly as scripts/mesh.ts starts them,
# so the image holds no build output that could drift from the sources.
# The process writes only below /tmp (tsx's transform cache, HOME), so the root filesystem can be
# mounted read-only with an emptyDir on /tmp.

ARG NODE_IMAGE=node:22-bookworm-slim

# Production dependencies only, from the lockfile. Manifests are copied first so that a change to
# the sources reuses this layer.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/cli/package.json packages/cli/
COPY packages/kit/package.json packages/kit/
COPY packages/proto/package.json packages/proto/
COPY packages/codec/package.json packages/codec/
COPY packages/sdk/package.json packages/sdk/
COPY services/agent/package.json services/agent/
COPY services/gateway/package.json services/gateway/
COPY services/keymanager/package.json services/keymanager/
COPY services/objectstore/package.json services/objectstore/
COPY services/pod/package.json services/pod/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="symphony-mesh" \
      org.opencontainers.image.description="Symphony mesh services (gateway, pod, keymanager, agent, objectstore) and the symphony-admin CLI"
# NODE_OPTIONS: workspace packages that are also published (sdk, codec) run from their sources here.
ENV NODE_ENV=production \
    NODE_OPTIONS=--conditions=source \
    HOME=/tmp \
    TMPDIR=/tmp \
    NPM_CONFIG_CACHE=/tmp/.npm \
    PATH=/app/node_modules/.bin:$PATH
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot be changed at run time.
COPY --from=deps /app ./
COPY package.json package-lock.json ./
COPY packages ./packages
COPY services ./services
COPY --chmod=0755 <<'EOF' /usr/local/bin/symphony
#!/bin/sh
set -e
case "$1" in
  gateway|pod|keymanager|agent|objectstore)
    service=$1
    shift
    export OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-$service}"
    exec node --import tsx --import @symphony/kit/instrument "services/$service/src/main.ts" "$@"
    ;;
  "")
    echo "usage: IMAGE gateway|pod|keymanager|agent|objectstore, or IMAGE symphony-admin ARGS" >&2
    exit 64
    ;;
  *)
    exec "$@"
    ;;
esac
EOF
# The uid/gid of the image's "node" user, numeric so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# gRPC 9100-9104 (one per service), the gateway's HTTP 8080 / HTTPS 8443, Prometheus metrics 9464.
EXPOSE 8080 8443 9100 9101 9102 9103 9104 9464
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/symphony"]
