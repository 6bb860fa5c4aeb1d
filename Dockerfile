# Builds the worker and the starter (CLI + HR webhook server) into one small image.
# docker build -t entra-lifecycle .
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/worker ./worker \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/starter ./starter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /usr/local/bin/worker
COPY --from=build /out/starter /usr/local/bin/starter
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/worker"]
