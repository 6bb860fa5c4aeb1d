// Package temporalclient dials the Temporal frontend the same way for the worker and the
// starter: address and namespace, TLS or API key for Temporal Cloud, the payload codec when
// a key is configured, and Temporal's SDK logs routed into the process's slog handler.
package temporalclient

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"

	"github.com/entralifecycle/engine/internal/codec"
)

// Options say how to reach Temporal. The worker and the starter fill them from their Config.
type Options struct {
	// Address is the frontend host:port (TEMPORAL_ADDRESS).
	Address string
	// Namespace is the Temporal namespace (TEMPORAL_NAMESPACE).
	Namespace string
	// APIKey authenticates to Temporal Cloud (TEMPORAL_API_KEY); it implies TLS.
	APIKey string
	// TLSCertPath and TLSKeyPath are a client certificate for mTLS (TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY).
	TLSCertPath string
	TLSKeyPath  string
	// PayloadKey, when set, encrypts every payload (LIFECYCLE_PAYLOAD_KEY, already decoded).
	PayloadKey []byte
	// Identity names this client in the Temporal UI.
	Identity string
	// Logger receives the SDK's logs; nil means slog.Default().
	Logger *slog.Logger
	// MetricsHandler receives the SDK's metrics (internal/metrics); nil records none.
	MetricsHandler client.MetricsHandler
}

// DataConverter returns the data converter the options call for: the default one, or the
// default one wrapped in the AES-256-GCM codec when a payload key is set.
func (o Options) DataConverter() (converter.DataConverter, error) {
	if len(o.PayloadKey) == 0 {
		return converter.GetDefaultDataConverter(), nil
	}
	c, err := codec.New(o.PayloadKey)
	if err != nil {
		return nil, fmt.Errorf("LIFECYCLE_PAYLOAD_KEY: %w", err)
	}
	return c.DataConverter(), nil
}

// ClientOptions builds the SDK's client options without dialling.
func (o Options) ClientOptions() (client.Options, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	dc, err := o.DataConverter()
	if err != nil {
		return client.Options{}, err
	}
	opts := client.Options{
		HostPort:       o.Address,
		Namespace:      o.Namespace,
		Identity:       o.Identity,
		Logger:         tlog.NewStructuredLogger(logger.With("component", "temporal-sdk")),
		DataConverter:  dc,
		MetricsHandler: o.MetricsHandler,
	}
	if o.TLSCertPath != "" || o.TLSKeyPath != "" {
		if o.TLSCertPath == "" || o.TLSKeyPath == "" {
			return client.Options{}, fmt.Errorf("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together")
		}
		cert, err := tls.LoadX509KeyPair(o.TLSCertPath, o.TLSKeyPath)
		if err != nil {
			return client.Options{}, fmt.Errorf("TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY: %w", err)
		}
		opts.ConnectionOptions.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if o.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(o.APIKey)
		if opts.ConnectionOptions.TLS == nil {
			opts.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	return opts, nil
}

// Dial connects to Temporal, failing within timeout when the frontend does not answer.
func Dial(ctx context.Context, o Options, timeout time.Duration) (client.Client, error) {
	opts, err := o.ClientOptions()
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := client.DialContext(dctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %q): %w", o.Address, o.Namespace, err)
	}
	return c, nil
}
