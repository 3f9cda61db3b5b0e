# syntax=docker/dockerfile:1
# The eventingestor image: one static binary (operator, serve, dev, bench, wal)
# on a distroless base, running as an unprivileged user.
#
#   docker build -t ghcr.io/eventingestor/eventingestor:dev .
#
# Without Docker, hack/ can pack the same static binary as an image tarball.

ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/eventingestor .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/eventingestor /eventingestor
USER 65532:65532
ENTRYPOINT ["/eventingestor"]
