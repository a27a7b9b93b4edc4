# The payouts binary (api, worker, migrate, sandbox, stuck) as a small
# non-root image. Build: docker build -t heleket-payouts:local .

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static binary: the final image has no libc.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/payouts ./cmd/payouts

# distroless: no shell, no package manager; health checks use
# `payouts healthcheck`. For production, pin this tag by digest as well.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/payouts /payouts
USER nonroot:nonroot
EXPOSE 8080 9091
ENTRYPOINT ["/payouts"]
CMD ["api"]
