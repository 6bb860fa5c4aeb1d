package config

import "strings"

// Report holds the settings of the report page (docs/report.md).
type Report struct {
	// Token is the credential the page requires (Bearer token or basic-auth password);
	// without it the page is served only on a loopback address.
	Token string `envconfig:"LIFECYCLE_REPORT_TOKEN"`
	// TemporalUIURL is the Temporal Web UI's base URL the page links workflows to.
	TemporalUIURL string `envconfig:"LIFECYCLE_TEMPORAL_UI_URL"`
}

// LoadReport reads the report settings.
func LoadReport() (Report, error) {
	var r Report
	if err := Load(&r); err != nil {
		return r, err
	}
	r.TemporalUIURL = strings.TrimSpace(r.TemporalUIURL)
	if r.TemporalUIURL != "" {
		if err := HTTPURL("LIFECYCLE_TEMPORAL_UI_URL", r.TemporalUIURL); err != nil {
			return r, err
		}
	}
	return r, nil
}
