package main

import (
	"strings"
	"testing"

	"github.com/entralifecycle/engine/internal/config"
)

// Dev mode's webhook secret: the public default only on loopback against the simulator; a
// configured secret is held to the same rules as anywhere else.
func TestDevWebhookSecret(t *testing.T) {
	real := config.Azure{TenantID: "t", ClientID: "c", ClientSecret: "s"}
	cases := []struct {
		name    string
		azure   config.Azure
		addr    string
		secret  string
		want    string // the secret in use; "" means refused
		wantErr string
	}{
		{"unset on loopback with the simulator", config.Azure{}, "127.0.0.1:8235", "", config.DevWebhookSecret, ""},
		{"unset on localhost", config.Azure{}, "localhost:8235", "", config.DevWebhookSecret, ""},
		{"unset on IPv6 loopback", config.Azure{}, "[::1]:8235", "", config.DevWebhookSecret, ""},
		{"own secret", config.Azure{}, "127.0.0.1:8235", "a-secret-of-my-own-0123", "a-secret-of-my-own-0123", ""},
		{"one character", config.Azure{}, "127.0.0.1:8235", "x", "", "too short"},
		{"public secret set explicitly with a real tenant", real, "127.0.0.1:8235", config.DevWebhookSecret, "", "public dev-mode secret"},
		{"unset with real credentials", real, "127.0.0.1:8235", "", "", "AZURE_"},
		{"unset with managed identity", config.Azure{UseManagedIdentity: true}, "127.0.0.1:8235", "", "", "AZURE_"},
		{"unset on all interfaces", config.Azure{}, ":8235", "", "", "loopback"},
		{"unset on a LAN address", config.Azure{}, "192.168.1.5:8235", "", "", "loopback"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := config.Webhook{Addr: tc.addr, Secret: tc.secret}
			got, err := w.DevSecret(tc.azure.HasCredentials())
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "LIFECYCLE_WEBHOOK_SECRET: ") || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming LIFECYCLE_WEBHOOK_SECRET and %q", err, tc.wantErr)
				}
				if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
					t.Fatal("the secret value was echoed")
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("DevSecret = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	// Outside dev mode (starter serve) the public secret is refused like a missing one.
	if err := (config.Webhook{Addr: "127.0.0.1:8235", Secret: config.DevWebhookSecret}).Validate(true); err == nil ||
		!strings.Contains(err.Error(), "LIFECYCLE_WEBHOOK_SECRET") {
		t.Fatalf("serve with the public secret: %v, want refused", err)
	}
}
