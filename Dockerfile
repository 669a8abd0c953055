# syntax=docker/dockerfile:1
# The dr-syncer controller image: a static binary on distroless, running as a non-root user.
# Build with `make docker-build` (passes VERSION); multi-arch with
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=v0.1.0 .

FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src

# Dependencies first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY api/ api/
COPY cmd/ cmd/
COPY config/ config/
COPY internal/ internal/
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath \
      -ldflags "-s -w -X github.com/dr-syncer/dr-syncer/internal/version.Version=${VERSION}" \
      -o /out/dr-syncer ./cmd/dr-syncer

FROM gcr.io/distroless/static:nonroot
LABEL org.opencontainers.image.source="https://github.com/dr-syncer/dr-syncer" \
      org.opencontainers.image.description="dr-syncer replicates Kubernetes namespaces into a disaster-recovery cluster"
COPY --from=builder /out/dr-syncer /dr-syncer
USER 65532:65532
ENTRYPOINT ["/dr-syncer"]
CMD ["controller"]
