package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/codec"
	"github.com/entralifecycle/engine/internal/webhook"
)

// HTTPOptions configure the engine's HTTP side.
type HTTPOptions struct {
	// Secret is the webhook's HMAC secret; empty refuses every event.
	Secret []byte
	// PayloadKey, when set, serves the remote codec endpoint under /codec/.
	PayloadKey []byte
	// CodecOrigins are the browser origins allowed to call the codec endpoint.
	CodecOrigins []string
	// Logger receives request logs.
	Logger *slog.Logger
	// Report, when set, is served at /report and below (internal/report).
	Report http.Handler
}

// HTTPHandler is the engine's HTTP side, the same in `starter serve` and in dev mode: the HR
// webhook (POST /v1/hr/events, signalling entities through d), GET /healthz (which also checks
// that Temporal answers) and, with a payload key, Temporal's remote codec protocol under /codec/.
func HTTPHandler(d Dispatcher, o HTTPOptions) (http.Handler, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	health := func(ctx context.Context) error {
		_, err := d.Client.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/", webhook.NewHandler(o.Secret, d, webhook.WithLogger(logger), webhook.WithHealthCheck(health)))
	if len(o.PayloadKey) > 0 {
		cd, err := codec.New(o.PayloadKey)
		if err != nil {
			return nil, fmt.Errorf("LIFECYCLE_PAYLOAD_KEY: %v", err)
		}
		mux.Handle("/codec/", codec.Handler(cd, o.CodecOrigins))
	}
	if o.Report != nil {
		mux.Handle("/report", o.Report)
		mux.Handle("/report/", o.Report)
	}
	return mux, nil
}
