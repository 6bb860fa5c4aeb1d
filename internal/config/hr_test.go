package config

import (
	"os"
	"strings"
	"testing"
)

// The new connector settings are read from their variables and reach the
// connectors (a bad value comes back naming the variable).
func TestHRConnectorVariables(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "LIFECYCLE_") {
			t.Setenv(name, "")
		}
	}
	for k, v := range map[string]string{
		"LIFECYCLE_AFAS_INTEGRATION_ID":      "12345_135624",
		"LIFECYCLE_RAET_PRODUCT":             "business",
		"LIFECYCLE_RAET_MANAGER_ROLE":        "LEID",
		"LIFECYCLE_NMBRS_CLIENT_ID":          "app",
		"LIFECYCLE_NMBRS_CLIENT_SECRET":      "s3cret",
		"LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE": "/var/lib/lifecycle/nmbrs-token",
		"LIFECYCLE_NMBRS_DEBTOR_IDS":         "d1,d2",
	} {
		t.Setenv(k, v)
	}
	var c HRConnectors
	if err := Load(&c); err != nil {
		t.Fatal(err)
	}
	if c.AFAS.IntegrationID != "12345_135624" || c.Raet.Product != "business" || c.Raet.ManagerRole != "LEID" ||
		c.Nmbrs.ClientID != "app" || c.Nmbrs.RefreshTokenFile != "/var/lib/lifecycle/nmbrs-token" || len(c.Nmbrs.DebtorIDs) != 2 {
		t.Fatalf("loaded %+v", c)
	}

	cases := []struct {
		name string
		c    HRConnectors
		src  string
		want string // "" = opens
	}{
		{"nmbrs refresh flow", HRConnectors{Nmbrs: Nmbrs{SubscriptionKey: "k", ClientID: "app", ClientSecret: "s", RefreshTokenFile: "/tmp/t"}}, "nmbrs", ""},
		{"nmbrs half a refresh flow", HRConnectors{Nmbrs: Nmbrs{SubscriptionKey: "k", ClientID: "app"}}, "nmbrs", "LIFECYCLE_NMBRS_REFRESH_TOKEN"},
		{"raet unknown product", HRConnectors{Raet: Raet{ClientID: "a", ClientSecret: "b", Product: "hrcore"}}, "raet", "LIFECYCLE_RAET_PRODUCT"},
		{"raet business", HRConnectors{Raet: Raet{ClientID: "a", ClientSecret: "b", Product: "business", ManagerRole: "LEID"}}, "raet", ""},
	}
	for _, tc := range cases {
		src, err := HR{Source: tc.src}.Open(tc.c)
		if tc.want == "" {
			if err != nil || src == nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.want)
		}
	}
}
