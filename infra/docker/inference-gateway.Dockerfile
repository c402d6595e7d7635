# The inference gateway's image (infra/constructs/inference-gateway.ts builds it with `cdk deploy`;
# the build context is the repository root, reduced by the asset's exclude patterns).
#
# One esbuild bundle of gateway/main.ts, as the Lambda handlers are bundled (infra/bundling.ts),
# except that the AWS SDK keeps its default credential chain: in a pod, EKS Pod Identity hands
# credentials through AWS_CONTAINER_CREDENTIALS_FULL_URI, not through the environment.
FROM --platform=$BUILDPLATFORM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts are not needed to bundle (and would run unpinned code); only the locked dependencies.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY contract ./contract
COPY functions ./functions
COPY gateway ./gateway
RUN npx esbuild gateway/main.ts --bundle --platform=node --format=esm --target=node24 \
      --minify --sourcemap --sources-content=false --main-fields=module,main \
      "--banner:js=import { createRequire as __gatewayCreateRequire } from 'node:module'; const require = __gatewayCreateRequire(import.meta.url);" \
      --outfile=/out/gateway.mjs

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out/ ./
# The image's `node` user (uid 1000); the pod spec also demands a non-root uid and a read-only root filesystem.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "--enable-source-maps", "/app/gateway.mjs"]
