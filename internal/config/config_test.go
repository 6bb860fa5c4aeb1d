package config

import (
	"strings"
	"testing"
)

// clearEnv unsets every variable the binaries read, so the host's settings do not leak in.
func clearEnv(t *testing.T) {
	for _, k := range []string{
		"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY",
		"LIFECYCLE_TASK_QUEUE", "LIFECYCLE_PAYLOAD_KEY", "LIFECYCLE_LOG_LEVEL", "LIFECYCLE_LOG_FORMAT",
		"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
		"AZURE_FEDERATED_TOKEN_FILE", "LIFECYCLE_AZURE_MANAGED_IDENTITY", "LIFECYCLE_GRAPH_BASE_URL",
		"LIFECYCLE_WEBHOOK_ADDR", "LIFECYCLE_WEBHOOK_SECRET", "LIFECYCLE_HR_SOURCE", "LIFECYCLE_HR_FILE",
		"LIFECYCLE_POLICY_FILE", "LIFECYCLE_CODEC_CORS_ORIGINS", "LIFECYCLE_CODEC_TOKEN", "LIFECYCLE_WEBHOOK_ACCEPT_RECORDS",
		"LIFECYCLE_GRAPH_WRITES_PER_SECOND",
	} {
		t.Setenv(k, "")
	}
}

func TestLoadWorkerDefaults(t *testing.T) {
	clearEnv(t)
	c, err := LoadWorker(true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Address != "127.0.0.1:7233" || c.Namespace != "default" || c.TaskQueue != "lifecycle" ||
		c.GraphBaseURL != "https://graph.microsoft.com/v1.0" || c.HR.Source != "file" || c.Webhook.Addr != "127.0.0.1:8235" {
		t.Fatalf("defaults: %+v", c)
	}
	if got := c.Webhook.Origins(); len(got) != 2 || got[0] != "http://127.0.0.1:8233" {
		t.Fatalf("origins %v", got)
	}
	if c.GraphWritesPerSecond != 20 {
		t.Fatalf("Graph write budget %v per second, want Graph's 20", c.GraphWritesPerSecond)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	key32 := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // 32 bytes
	cases := []struct {
		name    string
		env     map[string]string
		starter bool
		serve   bool
		want    string // variable named; "" means no error
	}{
		{"defaults are fine", nil, false, false, ""},
		{"valid payload key", map[string]string{"LIFECYCLE_PAYLOAD_KEY": key32}, false, false, ""},
		{"address without port", map[string]string{"TEMPORAL_ADDRESS": "temporal"}, false, false, "TEMPORAL_ADDRESS"},
		{"empty namespace", map[string]string{"TEMPORAL_NAMESPACE": " "}, false, false, "TEMPORAL_NAMESPACE"},
		{"payload key not base64", map[string]string{"LIFECYCLE_PAYLOAD_KEY": "not base64!"}, false, false, "LIFECYCLE_PAYLOAD_KEY"},
		{"payload key 16 bytes", map[string]string{"LIFECYCLE_PAYLOAD_KEY": "AAECAwQFBgcICQoLDA0ODw=="}, false, false, "LIFECYCLE_PAYLOAD_KEY"},
		{"bool malformed", map[string]string{"LIFECYCLE_AZURE_MANAGED_IDENTITY": "yes please"}, false, false, "LIFECYCLE_AZURE_MANAGED_IDENTITY"},
		{"graph url relative", map[string]string{"LIFECYCLE_GRAPH_BASE_URL": "/v1.0"}, false, false, "LIFECYCLE_GRAPH_BASE_URL"},
		{"secret without tenant", map[string]string{"AZURE_CLIENT_SECRET": "s3cr3t-value", "AZURE_CLIENT_ID": "x"}, false, false, "AZURE_TENANT_ID"},
		{"secret without client", map[string]string{"AZURE_CLIENT_SECRET": "s3cr3t-value", "AZURE_TENANT_ID": "x"}, false, false, "AZURE_CLIENT_ID"},
		{"unknown hr source", map[string]string{"LIFECYCLE_HR_SOURCE": "sap"}, false, false, "LIFECYCLE_HR_SOURCE"},
		{"tls cert alone", map[string]string{"TEMPORAL_TLS_CERT": "/c.pem"}, false, false, "TEMPORAL_TLS_KEY"},
		{"tls key alone", map[string]string{"TEMPORAL_TLS_KEY": "/k.pem"}, false, false, "TEMPORAL_TLS_CERT"},
		{"tls files missing", map[string]string{"TEMPORAL_TLS_CERT": "/nonexistent/c.pem", "TEMPORAL_TLS_KEY": "/nonexistent/k.pem"}, false, false, "TEMPORAL_TLS_CERT"},
		{"log level", map[string]string{"LIFECYCLE_LOG_LEVEL": "verbose"}, false, false, "LIFECYCLE_LOG_LEVEL"},
		{"log format", map[string]string{"LIFECYCLE_LOG_FORMAT": "xml"}, false, false, "LIFECYCLE_LOG_FORMAT"},
		{"webhook addr", map[string]string{"LIFECYCLE_WEBHOOK_ADDR": "8235"}, false, false, "LIFECYCLE_WEBHOOK_ADDR"},
		{"graph writes off", map[string]string{"LIFECYCLE_GRAPH_WRITES_PER_SECOND": "0"}, false, false, ""},
		{"graph writes fractional", map[string]string{"LIFECYCLE_GRAPH_WRITES_PER_SECOND": "12.5"}, false, false, ""},
		{"graph writes negative", map[string]string{"LIFECYCLE_GRAPH_WRITES_PER_SECOND": "-1"}, false, false, "LIFECYCLE_GRAPH_WRITES_PER_SECOND"},
		{"graph writes not a number", map[string]string{"LIFECYCLE_GRAPH_WRITES_PER_SECOND": "fast"}, false, false, "LIFECYCLE_GRAPH_WRITES_PER_SECOND"},
		{"graph writes NaN", map[string]string{"LIFECYCLE_GRAPH_WRITES_PER_SECOND": "NaN"}, false, false, "LIFECYCLE_GRAPH_WRITES_PER_SECOND"},
		{"starter serve needs secret", nil, true, true, "LIFECYCLE_WEBHOOK_SECRET"},
		{"starter serve short secret", map[string]string{"LIFECYCLE_WEBHOOK_SECRET": "short"}, true, true, "LIFECYCLE_WEBHOOK_SECRET"},
		{"starter other commands need no secret", nil, true, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var err error
			if tc.starter {
				_, err = LoadStarter(tc.serve)
			} else {
				_, err = LoadWorker(false)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one naming %s", tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tc.want+":") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q: want one line starting with %s", msg, tc.want)
			}
			for _, v := range tc.env {
				if len(v) > 8 && strings.Contains(msg, v) && strings.Contains(strings.ToLower(tc.want), "secret") {
					t.Fatalf("error %q echoes a secret", msg)
				}
			}
			if strings.Contains(msg, "s3cr3t-value") {
				t.Fatalf("error %q echoes the client secret", msg)
			}
		})
	}
}

func TestHROpenNamesTheSetting(t *testing.T) {
	cases := []struct {
		hr   HR
		c    HRConnectors
		want string // "" means success
	}{
		{HR{Source: "file"}, HRConnectors{}, "LIFECYCLE_HR_FILE"},
		{HR{Source: "file", File: "people.json"}, HRConnectors{}, ""},
		{HR{Source: "file", File: "people.json"}, HRConnectors{FileFormat: "xlsx"}, "LIFECYCLE_HR_FILE_FORMAT"},
		{HR{Source: "afas"}, HRConnectors{}, "LIFECYCLE_AFAS_BASE_URL"},
		{HR{Source: "raet"}, HRConnectors{}, "LIFECYCLE_RAET_"},
		{HR{Source: "nmbrs"}, HRConnectors{}, "LIFECYCLE_NMBRS_"},
		{HR{Source: "workday"}, HRConnectors{}, "LIFECYCLE_WORKDAY_"},
		{HR{Source: "workday"}, HRConnectors{Workday: Workday{ReportURL: "https://wd.example/ccx/service/customreport2/t/o/r", Columns: "nonsense"}}, "LIFECYCLE_WORKDAY_COLUMNS"},
		{HR{Source: "sap"}, HRConnectors{}, "LIFECYCLE_HR_SOURCE"},
	}
	for _, tc := range cases {
		src, err := tc.hr.Open(tc.c)
		if tc.want == "" {
			if err != nil || src == nil {
				t.Errorf("%+v: %v", tc.hr, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: error %v, want one naming %s", tc.hr.Source, tc.c, err, tc.want)
		}
	}
}

func TestCodecCredentialRequiredOffLoopback(t *testing.T) {
	key32 := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // 32 bytes
	const secret = "webhook-secret-0123456789"
	const token = "codec-token-0123456789abcdef"
	cases := []struct {
		name    string
		env     map[string]string
		load    func() error
		wantErr bool
	}{
		{"starter serve, all interfaces, key, no token",
			map[string]string{"LIFECYCLE_WEBHOOK_ADDR": "0.0.0.0:8235", "LIFECYCLE_PAYLOAD_KEY": key32, "LIFECYCLE_WEBHOOK_SECRET": secret},
			func() error { _, err := LoadStarter(true); return err }, true},
		{"starter serve, all interfaces, key, token",
			map[string]string{"LIFECYCLE_WEBHOOK_ADDR": "0.0.0.0:8235", "LIFECYCLE_PAYLOAD_KEY": key32, "LIFECYCLE_WEBHOOK_SECRET": secret, "LIFECYCLE_CODEC_TOKEN": token},
			func() error { _, err := LoadStarter(true); return err }, false},
		{"starter serve, loopback, key, no token",
			map[string]string{"LIFECYCLE_PAYLOAD_KEY": key32, "LIFECYCLE_WEBHOOK_SECRET": secret},
			func() error { _, err := LoadStarter(true); return err }, false},
		{"starter serve, all interfaces, no key: no codec endpoint",
			map[string]string{"LIFECYCLE_WEBHOOK_ADDR": "0.0.0.0:8235", "LIFECYCLE_WEBHOOK_SECRET": secret},
			func() error { _, err := LoadStarter(true); return err }, false},
		{"starter other commands, all interfaces, key, no token",
			map[string]string{"LIFECYCLE_WEBHOOK_ADDR": "0.0.0.0:8235", "LIFECYCLE_PAYLOAD_KEY": key32},
			func() error { _, err := LoadStarter(false); return err }, false},
		{"worker dev, all interfaces, key, no token",
			map[string]string{"LIFECYCLE_WEBHOOK_ADDR": "0.0.0.0:8235", "LIFECYCLE_PAYLOAD_KEY": key32},
			func() error { _, err := LoadWorker(true); return err }, true},
		{"worker dev, loopback, key, no token",
			map[string]string{"LIFECYCLE_PAYLOAD_KEY": key32},
			func() error { _, err := LoadWorker(true); return err }, false},
		{"worker (no HTTP side), all interfaces, key, no token",
			map[string]string{"LIFECYCLE_WEBHOOK_ADDR": "0.0.0.0:8235", "LIFECYCLE_PAYLOAD_KEY": key32},
			func() error { _, err := LoadWorker(false); return err }, false},
		{"malformed token",
			map[string]string{"LIFECYCLE_CODEC_TOKEN": "short"},
			func() error { _, err := LoadWorker(false); return err }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			err := tc.load()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err == nil {
				return
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "LIFECYCLE_CODEC_TOKEN:") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q: want one line starting with LIFECYCLE_CODEC_TOKEN", msg)
			}
			for _, v := range tc.env {
				if strings.Contains(msg, v) {
					t.Fatalf("error %q echoes a value", msg)
				}
			}
		})
	}
}

func TestWebhookRecordsOnlyForFileSource(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		starter bool
		wantErr bool
		accepts bool
	}{
		{"default refuses records", nil, false, false, false},
		{"starter default refuses records", nil, true, false, false},
		{"file source opts in", map[string]string{"LIFECYCLE_WEBHOOK_ACCEPT_RECORDS": "true"}, false, false, true},
		{"starter file source opts in", map[string]string{"LIFECYCLE_WEBHOOK_ACCEPT_RECORDS": "true", "LIFECYCLE_HR_SOURCE": "file"}, true, false, true},
		{"afas cannot opt in", map[string]string{"LIFECYCLE_WEBHOOK_ACCEPT_RECORDS": "true", "LIFECYCLE_HR_SOURCE": "afas"}, false, true, false},
		{"starter afas cannot opt in", map[string]string{"LIFECYCLE_WEBHOOK_ACCEPT_RECORDS": "true", "LIFECYCLE_HR_SOURCE": "afas"}, true, true, false},
		{"afas without opt-in", map[string]string{"LIFECYCLE_HR_SOURCE": "afas"}, true, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var err error
			var accepts bool
			if tc.starter {
				var c Starter
				c, err = LoadStarter(false)
				accepts = c.Webhook.AcceptsRecords(c.HRSource)
			} else {
				var c Worker
				c, err = LoadWorker(false)
				accepts = c.Webhook.AcceptsRecords(c.HR.Source)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "LIFECYCLE_WEBHOOK_ACCEPT_RECORDS:") {
					t.Fatalf("error %q does not name the variable", err)
				}
				return
			}
			if accepts != tc.accepts {
				t.Fatalf("accepts records %v, want %v", accepts, tc.accepts)
			}
		})
	}
}
