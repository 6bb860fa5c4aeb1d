package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	coreauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
)

// DefaultBaseURL is Microsoft Graph v1.0 in the global cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// DefaultCacheTTL is how long resolved names (groups, SKUs, app roles) are kept.
const DefaultCacheTTL = 15 * time.Minute

// Config selects the Graph endpoint and the credential. The binaries fill it
// from the environment (AZURE_* and LIFECYCLE_GRAPH_BASE_URL); this package
// reads no environment itself.
type Config struct {
	// BaseURL is the Graph root including the version, e.g.
	// https://graph.microsoft.com/v1.0 (the default) or the simulator's
	// http://127.0.0.1:8234/v1.0.
	BaseURL string
	// TenantID is the directory (tenant) id of the application registration.
	TenantID string
	// ClientID is the application (client) id; with ManagedIdentity it
	// selects a user-assigned identity.
	ClientID string
	// ClientSecret selects client-secret authentication.
	ClientSecret string
	// CertificatePath selects certificate authentication: a PEM or PKCS#12
	// file holding the certificate and its private key.
	CertificatePath string
	// CertificatePassword unlocks an encrypted certificate file.
	CertificatePassword string
	// FederatedTokenFile selects workload identity federation (e.g. the
	// Kubernetes service account token).
	FederatedTokenFile string
	// ManagedIdentity selects the Azure managed identity (user-assigned when
	// ClientID is set).
	ManagedIdentity bool
	// MailSender is the mailbox (UPN or object id) notifications are sent from.
	MailSender string
	// CacheTTL bounds how long resolved names are cached; 0 means DefaultCacheTTL.
	CacheTTL time.Duration
	// GroupAddWindow is how long an addition of a member to a group waits for
	// additions to the same group by concurrent hires, to send them together
	// (up to 20) in one PATCH /groups/{id}; 0 means DefaultGroupAddWindow, a
	// negative value sends every addition on its own.
	GroupAddWindow time.Duration
}

// Option adjusts a Client.
type Option func(*options)

type options struct {
	logger     *slog.Logger
	credential azcore.TokenCredential
	transport  http.RoundTripper
	timeout    time.Duration
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithCredential uses cred instead of building one from Config.
func WithCredential(cred azcore.TokenCredential) Option {
	return func(o *options) { o.credential = cred }
}

// WithTransport sets the HTTP transport under the SDK's middleware.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithTimeout bounds each HTTP request (default 100 seconds).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Client is the directory on Microsoft Graph. It is safe for concurrent use.
type Client struct {
	graph      *msgraphsdk.GraphServiceClient
	adapter    abstractions.RequestAdapter
	baseURL    string
	log        *slog.Logger
	mailSender string
	credential string

	cacheTTL time.Duration
	now      func() time.Time

	mu        sync.Mutex
	groups    map[string]cached[Group]            // by display name
	skus      *cached[[]SKU]                      // whole subscribedSkus list
	tapPolicy *cached[TemporaryAccessPassPolicy]  // the tenant's pass policy
	sps       map[string]cached[servicePrincipal] // by display name
	spByID    map[string]servicePrincipal
	pwSource  func() (string, error)

	// members folds concurrent group additions (nil: every addition on its own).
	members *memberBatcher

	// basicSelect is set once the endpoint refused the extended $select.
	basicSelect atomic.Bool
}

type cached[T any] struct {
	v  T
	at time.Time
}

// New builds a Client. The credential is chosen from cfg in this order:
// client secret, certificate, workload identity (federated token file),
// managed identity, then DefaultAzureCredential. When BaseURL is a loopback
// http URL and no credential is configured the client sends no token (the
// simulator). New makes no network call.
func New(ctx context.Context, cfg Config, opts ...Option) (*Client, error) {
	_ = ctx
	o := options{logger: slog.Default(), timeout: 100 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	baseURL := strings.TrimRight(cfg.BaseURL, "/")
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("directory: graph base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	loopback := isLoopback(u.Hostname())
	if u.Scheme == "http" && !loopback {
		return nil, fmt.Errorf("directory: graph base URL %q: plain http is allowed only for a loopback address", cfg.BaseURL)
	}

	cred, credName, err := chooseCredential(cfg, o.credential, loopback)
	if err != nil {
		return nil, err
	}
	var auth absauth.AuthenticationProvider
	if cred == nil {
		auth = &absauth.AnonymousAuthenticationProvider{}
	} else {
		hosts := []string{u.Hostname()}
		scope := graphScope(u)
		// Tokens are attached only for the listed hosts; for any other host the
		// SDK silently sends none, so the base URL's host must be listed.
		auth, err = coreauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{scope}, hosts)
		if err != nil {
			return nil, fmt.Errorf("directory: authentication provider: %w", err)
		}
	}

	clientOptions := msgraphsdk.GetDefaultClientOptions()
	base := o.transport
	if base == nil {
		base = http.DefaultTransport
	}
	httpClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(&errorBodyGuard{next: base}, middlewares(&clientOptions)...),
		// Redirects are the SDK's redirect handler's business.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       o.timeout,
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("directory: graph request adapter: %w", err)
	}
	adapter.SetBaseUrl(baseURL)
	ttl := cfg.CacheTTL
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	c := &Client{
		graph:      msgraphsdk.NewGraphServiceClient(adapter),
		adapter:    adapter,
		baseURL:    baseURL,
		log:        o.logger,
		mailSender: cfg.MailSender,
		credential: credName,
		cacheTTL:   ttl,
		now:        time.Now,
		groups:     map[string]cached[Group]{},
		sps:        map[string]cached[servicePrincipal]{},
		spByID:     map[string]servicePrincipal{},
		pwSource:   randomPassword,
	}
	switch w := cfg.GroupAddWindow; {
	case w == 0:
		c.members = newMemberBatcher(c, DefaultGroupAddWindow)
	case w > 0:
		c.members = newMemberBatcher(c, w)
	}
	c.log.Debug("directory client ready", "baseURL", baseURL, "credential", credName)
	return c, nil
}

// Credential names the credential kind in use ("client secret",
// "certificate", "workload identity", "managed identity", "default",
// "anonymous", "provided"); it never contains a secret.
func (c *Client) Credential() string { return c.credential }

// middlewares is the SDK's default pipeline with its retry handler told never
// to retry: 429 / 503 / 504 come back as errors, are classified, and the
// caller retries visibly (a Temporal activity retry honouring Retry-After).
// A RetryHandlerOptions must carry a ShouldRetry function; without one the
// handler panics on a retryable response.
func middlewares(o *msgraphcore.GraphClientOptions) []khttp.Middleware {
	noRetry := &khttp.RetryHandlerOptions{
		ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false },
	}
	kiota, err := khttp.GetDefaultMiddlewaresWithOptions(noRetry)
	if err != nil {
		// Only an unknown option type fails, and RetryHandlerOptions is known.
		panic(fmt.Sprintf("directory: middleware options: %v", err))
	}
	graph := []khttp.Middleware{
		msgraphcore.NewGraphTelemetryHandler(o),
		khttp.NewUrlReplaceHandler(true, msgraphcore.ReplacementPairs),
	}
	return append(graph, kiota...)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// graphScope is "<scheme>://<graph host>/.default" for the national clouds'
// Graph hosts and the global one otherwise
// (https://learn.microsoft.com/graph/deployments#app-registration-and-token-service-root-endpoints).
func graphScope(u *url.URL) string {
	switch strings.ToLower(u.Hostname()) {
	case "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn", "graph.microsoft.de":
		return "https://" + strings.ToLower(u.Hostname()) + "/.default"
	}
	return "https://graph.microsoft.com/.default"
}

// chooseCredential picks the credential from cfg. It returns a nil
// credential for anonymous access to a loopback simulator.
func chooseCredential(cfg Config, given azcore.TokenCredential, loopback bool) (azcore.TokenCredential, string, error) {
	if given != nil {
		return given, "provided", nil
	}
	need := func(what string) error {
		if cfg.TenantID == "" || cfg.ClientID == "" {
			return fmt.Errorf("directory: %s authentication needs AZURE_TENANT_ID and AZURE_CLIENT_ID", what)
		}
		return nil
	}
	switch {
	case cfg.ClientSecret != "":
		if err := need("client secret"); err != nil {
			return nil, "", err
		}
		cred, err := azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret, nil)
		if err != nil {
			return nil, "", fmt.Errorf("directory: client secret credential: %w", err)
		}
		return cred, "client secret", nil
	case cfg.CertificatePath != "":
		if err := need("certificate"); err != nil {
			return nil, "", err
		}
		data, err := os.ReadFile(cfg.CertificatePath)
		if err != nil {
			return nil, "", fmt.Errorf("directory: read AZURE_CLIENT_CERTIFICATE_PATH: %w", err)
		}
		var pw []byte
		if cfg.CertificatePassword != "" {
			pw = []byte(cfg.CertificatePassword)
		}
		certs, key, err := azidentity.ParseCertificates(data, pw)
		if err != nil {
			return nil, "", fmt.Errorf("directory: AZURE_CLIENT_CERTIFICATE_PATH %s holds no usable certificate and key: %w", cfg.CertificatePath, err)
		}
		cred, err := azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key, nil)
		if err != nil {
			return nil, "", fmt.Errorf("directory: certificate credential: %w", err)
		}
		return cred, "certificate", nil
	case cfg.FederatedTokenFile != "":
		if err := need("workload identity"); err != nil {
			return nil, "", err
		}
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			TenantID: cfg.TenantID, ClientID: cfg.ClientID, TokenFilePath: cfg.FederatedTokenFile,
		})
		if err != nil {
			return nil, "", fmt.Errorf("directory: workload identity credential: %w", err)
		}
		return cred, "workload identity", nil
	case cfg.ManagedIdentity:
		var mo azidentity.ManagedIdentityCredentialOptions
		if cfg.ClientID != "" {
			mo.ID = azidentity.ClientID(cfg.ClientID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(&mo)
		if err != nil {
			return nil, "", fmt.Errorf("directory: managed identity credential: %w", err)
		}
		return cred, "managed identity", nil
	case loopback:
		return nil, "anonymous", nil
	default:
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{TenantID: cfg.TenantID})
		if err != nil {
			return nil, "", fmt.Errorf("directory: no credential configured and DefaultAzureCredential failed: %w", err)
		}
		return cred, "default", nil
	}
}

// statusError is an HTTP failure whose body is not Graph's JSON error (an
// HTML page from a gateway, say), which the SDK could not parse and would
// report without its status.
type statusError struct {
	status     int
	retryAfter string
	snippet    string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d with a non-JSON body: %s", e.status, e.snippet)
}

// errorBodyGuard turns a failed response with an unparsable body into a
// statusError, so classification still sees the status and Retry-After.
type errorBodyGuard struct{ next http.RoundTripper }

func (g *errorBodyGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 || resp.Body == nil {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if rerr != nil {
		return nil, rerr
	}
	if len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
		snippet := strings.Join(strings.Fields(string(body)), " ")
		if len(snippet) > 200 {
			snippet = snippet[:200] + "…"
		}
		return nil, &statusError{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), snippet: snippet}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
