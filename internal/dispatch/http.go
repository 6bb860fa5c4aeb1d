package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/codec"
	"github.com/entralifecycle/engine/internal/webhook"
)

// HTTPOptions configure the engine's HTTP side. The zero value of every field is the safe
// one: no events accepted without a secret, no employee records in events, no codec endpoint
// without a credential.
type HTTPOptions struct {
	// Addr is the listen address (LIFECYCLE_WEBHOOK_ADDR). It decides whether the codec
	// endpoint may run without CodecToken: only on a loopback address. Empty counts as
	// not loopback.
	Addr string
	// Secret is the webhook's HMAC secret; empty refuses every event.
	Secret []byte
	// AcceptRecords lets signed events carry the employee record itself ("employee"). Set it
	// only for the file source with LIFECYCLE_WEBHOOK_ACCEPT_RECORDS=true (config's
	// Webhook.AcceptsRecords): for a source with a read API the entity re-reads HR, and a
	// record in the event would let anyone holding the webhook secret write HR data. False
	// answers such events 400.
	AcceptRecords bool
	// PayloadKey, when set, serves the remote codec endpoint under /codec/.
	PayloadKey []byte
	// CodecToken is the bearer token the codec endpoint requires (LIFECYCLE_CODEC_TOKEN).
	// Without it the endpoint is served only when Addr is a loopback address, and then only
	// to loopback requests (dev mode); on any other address HTTPHandler refuses to build.
	CodecToken string
	// CodecOrigins are the browser origins allowed to call the codec endpoint.
	CodecOrigins []string
	// Logger receives request logs.
	Logger *slog.Logger
	// Report, when set, is served at /report and below (internal/report).
	Report http.Handler
}

// HTTPHandler is the engine's HTTP side, the same in `starter serve` and in dev mode: the HR
// webhook (POST /v1/hr/events, signalling entities through d), GET /healthz (which also checks
// that Temporal answers) and, with a payload key, Temporal's remote codec protocol under
// /codec/, behind the codec credential. A configuration that would expose decrypted payloads
// without a credential is an error naming LIFECYCLE_CODEC_TOKEN.
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
	mux.Handle("/", webhook.NewHandler(o.Secret, eventNotifier{d}, webhook.WithLogger(logger),
		webhook.WithHealthCheck(health), webhook.WithEmbeddedRecords(o.AcceptRecords)))
	if len(o.PayloadKey) > 0 {
		cd, err := codec.New(o.PayloadKey)
		if err != nil {
			return nil, fmt.Errorf("LIFECYCLE_PAYLOAD_KEY: %w", err)
		}
		if err := codec.CheckServe(o.Addr, o.CodecToken); err != nil {
			return nil, err
		}
		mux.Handle("/codec/", codec.Handler(cd, codec.Options{
			AllowedOrigins:       o.CodecOrigins,
			Token:                o.CodecToken,
			LoopbackWithoutToken: o.CodecToken == "",
			Logger:               logger,
		}))
	}
	if o.Report != nil {
		mux.Handle("/report", o.Report)
		mux.Handle("/report/", o.Report)
	}
	return mux, nil
}

// eventNotifier delivers webhook events through the dispatcher and marks the failures that
// are the event's fault (Temporal refusing the id as invalid), so the sender gets 400 rather
// than a retry-later 503.
type eventNotifier struct{ d Dispatcher }

func (n eventNotifier) Notify(ctx context.Context, ev webhook.Event) (string, error) {
	id, err := n.d.Notify(ctx, ev)
	var invalid *serviceerror.InvalidArgument
	if err != nil && errors.As(err, &invalid) {
		return "", fmt.Errorf("%w: %s", webhook.ErrInvalidEvent, invalid.Message)
	}
	return id, err
}
