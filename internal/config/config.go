// Package config loads the binaries' configuration from the environment with envconfig and
// turns every problem into one line that names the variable to fix. Only the worker and
// starter main packages call it; everything else receives plain values.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/kelseyhightower/envconfig"

	"github.com/entralifecycle/engine/internal/codec"
	"github.com/entralifecycle/engine/internal/temporalclient"
)

// Temporal holds the settings both binaries use to reach Temporal (Temporal's own names).
type Temporal struct {
	Address     string `envconfig:"TEMPORAL_ADDRESS" default:"127.0.0.1:7233"`
	Namespace   string `envconfig:"TEMPORAL_NAMESPACE" default:"default"`
	APIKey      string `envconfig:"TEMPORAL_API_KEY"`
	TLSCertPath string `envconfig:"TEMPORAL_TLS_CERT"`
	TLSKeyPath  string `envconfig:"TEMPORAL_TLS_KEY"`
	TaskQueue   string `envconfig:"LIFECYCLE_TASK_QUEUE" default:"lifecycle"`
	// PayloadKey is base64 for 32 bytes; when set, every payload is AES-256-GCM encrypted.
	PayloadKey string `envconfig:"LIFECYCLE_PAYLOAD_KEY"`
}

// Logging holds the log settings.
type Logging struct {
	Level  string `envconfig:"LIFECYCLE_LOG_LEVEL" default:"info"`
	Format string `envconfig:"LIFECYCLE_LOG_FORMAT" default:"text"`
}

// Load fills cfg (a pointer to a struct with envconfig tags) from the environment and
// returns an error of one line naming the variable when a value is missing or malformed.
// Values are never echoed, since some are secrets. A variable set to the empty string counts
// as unset (compose files and CI systems often export empty values), so its default applies.
func Load(cfg any) error {
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if value == "" && (strings.HasPrefix(name, "TEMPORAL_") || strings.HasPrefix(name, "LIFECYCLE_") || strings.HasPrefix(name, "AZURE_")) {
			_ = os.Unsetenv(name)
		}
	}
	if err := envconfig.Process("", cfg); err != nil {
		return oneLine(err)
	}
	return nil
}

func oneLine(err error) error {
	var pe *envconfig.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: malformed value, want %s", pe.KeyName, friendlyType(pe.TypeName))
	}
	msg := err.Error()
	// envconfig: "required key X missing value"
	if strings.HasPrefix(msg, "required key ") {
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "required key "), " missing value")
		return fmt.Errorf("%s: required but not set", name)
	}
	return errors.New(strings.ReplaceAll(msg, "\n", " "))
}

func friendlyType(t string) string {
	switch t {
	case "int", "int64", "int32", "uint", "uint64":
		return "a whole number"
	case "bool":
		return "true or false"
	case "float64", "float32":
		return "a number"
	case "Duration":
		return "a duration such as 30s or 15m"
	default:
		return "a value of type " + t
	}
}

// Validate checks the Temporal settings beyond their types.
func (t Temporal) Validate() error {
	if err := HostPort("TEMPORAL_ADDRESS", t.Address); err != nil {
		return err
	}
	if strings.TrimSpace(t.Namespace) == "" {
		return errors.New("TEMPORAL_NAMESPACE: must not be empty")
	}
	if strings.TrimSpace(t.TaskQueue) == "" {
		return errors.New("LIFECYCLE_TASK_QUEUE: must not be empty")
	}
	if (t.TLSCertPath == "") != (t.TLSKeyPath == "") {
		if t.TLSCertPath == "" {
			return errors.New("TEMPORAL_TLS_CERT: required when TEMPORAL_TLS_KEY is set")
		}
		return errors.New("TEMPORAL_TLS_KEY: required when TEMPORAL_TLS_CERT is set")
	}
	for _, f := range [][2]string{{"TEMPORAL_TLS_CERT", t.TLSCertPath}, {"TEMPORAL_TLS_KEY", t.TLSKeyPath}} {
		if f[1] == "" {
			continue
		}
		if _, err := os.Stat(f[1]); err != nil {
			return fmt.Errorf("%s: cannot read %s", f[0], f[1])
		}
	}
	if t.PayloadKey != "" {
		if _, err := codec.ParseKey(t.PayloadKey); err != nil {
			return fmt.Errorf("LIFECYCLE_PAYLOAD_KEY: %v", err)
		}
	}
	return nil
}

// ClientOptions converts the settings to dial options (the payload key decoded).
func (t Temporal) ClientOptions(identity string, logger *slog.Logger) (temporalclient.Options, error) {
	o := temporalclient.Options{
		Address:     t.Address,
		Namespace:   t.Namespace,
		APIKey:      t.APIKey,
		TLSCertPath: t.TLSCertPath,
		TLSKeyPath:  t.TLSKeyPath,
		Identity:    identity,
		Logger:      logger,
	}
	if t.PayloadKey != "" {
		k, err := codec.ParseKey(t.PayloadKey)
		if err != nil {
			return o, fmt.Errorf("LIFECYCLE_PAYLOAD_KEY: %v", err)
		}
		o.PayloadKey = k
	}
	return o, nil
}

// HostPort checks that v is host:port, naming the variable when it is not.
func HostPort(name, v string) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil || port == "" {
		return fmt.Errorf("%s: malformed value, want host:port", name)
	}
	return nil
}

// HTTPURL checks that v is an absolute http(s) URL, naming the variable when it is not.
func HTTPURL(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: malformed value, want an http(s) URL", name)
	}
	return nil
}

// Logger builds the process logger from the logging settings.
func (l Logging) Logger() (*slog.Logger, *slog.LevelVar, error) {
	lv := new(slog.LevelVar)
	if err := lv.UnmarshalText([]byte(l.Level)); err != nil {
		return nil, nil, errors.New("LIFECYCLE_LOG_LEVEL: malformed value, want debug, info, warn or error")
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(l.Format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), lv, nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), lv, nil
	default:
		return nil, nil, errors.New("LIFECYCLE_LOG_FORMAT: malformed value, want text or json")
	}
}
