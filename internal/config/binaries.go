package config

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/entralifecycle/engine/internal/codec"
	"github.com/entralifecycle/engine/internal/netaddr"
)

// Azure holds Microsoft Entra application credentials, by Azure's own variable names.
// Which one is used: client secret, then certificate, then workload identity (federated
// token file), then managed identity, then DefaultAzureCredential.
type Azure struct {
	TenantID            string `envconfig:"AZURE_TENANT_ID"`
	ClientID            string `envconfig:"AZURE_CLIENT_ID"`
	ClientSecret        string `envconfig:"AZURE_CLIENT_SECRET"`
	CertificatePath     string `envconfig:"AZURE_CLIENT_CERTIFICATE_PATH"`
	FederatedTokenFile  string `envconfig:"AZURE_FEDERATED_TOKEN_FILE"`
	UseManagedIdentity  bool   `envconfig:"LIFECYCLE_AZURE_MANAGED_IDENTITY" default:"false"`
	GraphBaseURL        string `envconfig:"LIFECYCLE_GRAPH_BASE_URL" default:"https://graph.microsoft.com/v1.0"`
	CertificatePassword string `envconfig:"AZURE_CLIENT_CERTIFICATE_PASSWORD"`
}

// Validate checks the Graph settings beyond their types.
func (a Azure) Validate() error {
	if err := HTTPURL("LIFECYCLE_GRAPH_BASE_URL", a.GraphBaseURL); err != nil {
		return err
	}
	if (a.ClientSecret != "" || a.CertificatePath != "" || a.FederatedTokenFile != "") && a.TenantID == "" {
		return errors.New("AZURE_TENANT_ID: required when application credentials are set")
	}
	if (a.ClientSecret != "" || a.CertificatePath != "" || a.FederatedTokenFile != "") && a.ClientID == "" {
		return errors.New("AZURE_CLIENT_ID: required when application credentials are set")
	}
	return nil
}

// HasCredentials reports whether any explicit credential is configured.
func (a Azure) HasCredentials() bool {
	return a.ClientSecret != "" || a.CertificatePath != "" || a.FederatedTokenFile != "" || a.UseManagedIdentity
}

// Webhook holds the HR webhook server settings (docs/webhook.md).
type Webhook struct {
	Addr   string `envconfig:"LIFECYCLE_WEBHOOK_ADDR" default:"127.0.0.1:8235"`
	Secret string `envconfig:"LIFECYCLE_WEBHOOK_SECRET"`
	// CodecOrigins are the browser origins (the Temporal UI) allowed to call the codec
	// endpoint served beside the webhook, comma separated.
	CodecOrigins string `envconfig:"LIFECYCLE_CODEC_CORS_ORIGINS" default:"http://127.0.0.1:8233,http://localhost:8233"`
	// CodecToken is the bearer token the payload codec endpoint requires. Without it the
	// endpoint is served only on a loopback LIFECYCLE_WEBHOOK_ADDR (dev mode).
	CodecToken string `envconfig:"LIFECYCLE_CODEC_TOKEN"`
	// AcceptRecords lets signed webhook events carry the employee record itself; only
	// allowed for the file source, which has no read API to re-read the employee from.
	AcceptRecords bool `envconfig:"LIFECYCLE_WEBHOOK_ACCEPT_RECORDS" default:"false"`
}

// AcceptsRecords reports whether the webhook takes employee records in events for the HR
// source hrSource: only when LIFECYCLE_WEBHOOK_ACCEPT_RECORDS=true and the source is file.
func (w Webhook) AcceptsRecords(hrSource string) bool {
	return w.AcceptRecords && hrSource == "file"
}

// ValidateRecords refuses LIFECYCLE_WEBHOOK_ACCEPT_RECORDS for a source with a read API.
func (w Webhook) ValidateRecords(hrSource string) error {
	if w.AcceptRecords && hrSource != "file" {
		return errors.New("LIFECYCLE_WEBHOOK_ACCEPT_RECORDS: only allowed with LIFECYCLE_HR_SOURCE=file; other sources are re-read from HR")
	}
	return nil
}

// ValidateCodec checks the codec endpoint's credential when the process serves it (a payload
// key is set): a token must be well formed, and without one the address must be loopback.
func (w Webhook) ValidateCodec(payloadKeySet bool) error {
	if w.CodecToken != "" && !codec.ValidToken(w.CodecToken) {
		return errors.New("LIFECYCLE_CODEC_TOKEN: use at least 16 printable ASCII characters without spaces")
	}
	if !payloadKeySet {
		return nil
	}
	if err := codec.CheckServe(w.Addr, w.CodecToken); err != nil {
		return fmt.Errorf("%w (LIFECYCLE_WEBHOOK_ADDR)", err)
	}
	return nil
}

// DevWebhookSecret is the webhook secret dev mode uses when LIFECYCLE_WEBHOOK_SECRET is unset,
// the webhook listens on loopback only and the Graph simulator stands in for Entra ID. It is
// public (it is in the source), so it is refused everywhere else.
const DevWebhookSecret = "lifecycle-dev-webhook-secret"

// Validate checks the webhook settings; the secret is required only where a server runs.
func (w Webhook) Validate(requireSecret bool) error {
	if err := HostPort("LIFECYCLE_WEBHOOK_ADDR", w.Addr); err != nil {
		return err
	}
	if requireSecret {
		return w.checkSecret()
	}
	return nil
}

// checkSecret refuses a missing, short or public secret.
func (w Webhook) checkSecret() error {
	switch {
	case w.Secret == "":
		return errors.New("LIFECYCLE_WEBHOOK_SECRET: required but not set")
	case w.Secret == DevWebhookSecret:
		return errors.New("LIFECYCLE_WEBHOOK_SECRET: the public dev-mode secret, set a secret of your own")
	case len(w.Secret) < 16:
		return errors.New("LIFECYCLE_WEBHOOK_SECRET: too short, use at least 16 characters")
	}
	return nil
}

// DevSecret is the webhook secret of dev mode: the configured one, which must be as strong as
// anywhere else; else the public DevWebhookSecret, but only while the webhook listens on
// loopback and no real tenant is configured (realTenant: AZURE_* credentials are set).
func (w Webhook) DevSecret(realTenant bool) (string, error) {
	if w.Secret != "" {
		return w.Secret, w.checkSecret()
	}
	if realTenant {
		return "", errors.New("LIFECYCLE_WEBHOOK_SECRET: required in dev mode with real AZURE_* credentials (the public dev secret is for the simulator only)")
	}
	if !netaddr.Loopback(w.Addr) {
		return "", errors.New("LIFECYCLE_WEBHOOK_SECRET: required when LIFECYCLE_WEBHOOK_ADDR is not a loopback address")
	}
	return DevWebhookSecret, nil
}

// Origins splits CodecOrigins.
func (w Webhook) Origins() []string {
	var out []string
	for _, o := range strings.Split(w.CodecOrigins, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// HR names the HR source and its settings. Each connector reads its own LIFECYCLE_<VENDOR>_* variables.
type HR struct {
	Source string `envconfig:"LIFECYCLE_HR_SOURCE" default:"file"`
	File   string `envconfig:"LIFECYCLE_HR_FILE"`
}

// Validate checks the HR source name.
func (h HR) Validate() error {
	switch h.Source {
	case "file", "afas", "nmbrs", "raet", "workday":
		return nil
	default:
		return errors.New("LIFECYCLE_HR_SOURCE: malformed value, want file, afas, nmbrs, raet or workday")
	}
}

// Worker is the worker binary's whole configuration.
type Worker struct {
	Temporal
	Logging
	Azure
	Webhook
	HR
	HRConnectors
	PolicyFile string `envconfig:"LIFECYCLE_POLICY_FILE"`
	// MailSender is the mailbox (UPN or id) manager notifications are sent from.
	MailSender string `envconfig:"LIFECYCLE_MAIL_SENDER"`
	// GraphWritesPerSecond is the tenant's Graph write budget, shared by every worker
	// (docs/configuration.md); 0 paces nothing.
	GraphWritesPerSecond float64 `envconfig:"LIFECYCLE_GRAPH_WRITES_PER_SECOND" default:"20"`
}

// LoadWorker reads and validates the worker's configuration. dev relaxes what dev mode
// supplies itself (policy, HR file, webhook secret).
func LoadWorker(dev bool) (Worker, error) {
	var c Worker
	if err := Load(&c); err != nil {
		return c, err
	}
	return c, c.Validate(dev)
}

// Validate checks a loaded worker configuration.
func (c Worker) Validate(dev bool) error {
	for _, check := range []func() error{
		c.Temporal.Validate,
		c.Azure.Validate,
		c.HR.Validate,
		func() error { _, _, err := c.Logging.Logger(); return err },
		func() error { return c.Webhook.Validate(false) },
		// The worker serves the HTTP side (and so the codec endpoint) only in dev mode.
		func() error { return c.Webhook.ValidateCodec(dev && c.PayloadKey != "") },
		func() error { return c.Webhook.ValidateRecords(c.HR.Source) },
		func() error { return ValidateGraphWrites(c.GraphWritesPerSecond) },
		func() error {
			if !dev {
				return nil
			}
			_, err := c.Webhook.DevSecret(c.HasCredentials())
			return err
		},
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// ValidateGraphWrites checks LIFECYCLE_GRAPH_WRITES_PER_SECOND: 0 (no pacing) or a positive
// number of writes per second for the whole tenant.
func ValidateGraphWrites(perSecond float64) error {
	if perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
		return errors.New("LIFECYCLE_GRAPH_WRITES_PER_SECOND: want 0 (no pacing) or a positive number of writes per second")
	}
	return nil
}

// Starter is the starter binary's whole configuration.
type Starter struct {
	Temporal
	Logging
	Webhook
	// HRSource is LIFECYCLE_HR_SOURCE: `serve` takes employee records in webhook events only
	// for the file source.
	HRSource string `envconfig:"LIFECYCLE_HR_SOURCE" default:"file"`
}

// LoadStarter reads and validates the starter's configuration. serve requires the webhook secret.
func LoadStarter(serve bool) (Starter, error) {
	var c Starter
	if err := Load(&c); err != nil {
		return c, err
	}
	for _, check := range []func() error{
		c.Temporal.Validate,
		func() error { _, _, err := c.Logging.Logger(); return err },
		func() error { return c.Webhook.Validate(serve) },
		func() error { return c.Webhook.ValidateCodec(serve && c.PayloadKey != "") },
		HR{Source: c.HRSource}.Validate,
		func() error { return c.Webhook.ValidateRecords(c.HRSource) },
	} {
		if err := check(); err != nil {
			return c, err
		}
	}
	return c, nil
}
