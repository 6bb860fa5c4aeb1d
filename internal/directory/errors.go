package directory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Kind classifies a directory failure.
type Kind int

// The kinds of failure. The first group is retryable, the rest permanent.
const (
	// KindThrottled is HTTP 429: wait Retry-After, then try again.
	KindThrottled Kind = iota + 1
	// KindUnavailable is HTTP 500 / 502 / 503 / 504: Graph had a transient problem.
	KindUnavailable
	// KindNetwork is a failure below HTTP: connection refused / reset, timeout, TLS.
	KindNetwork

	// KindPermissionDenied is HTTP 403: the application lacks a Graph permission
	// (or the target holds a privileged role the application may not touch).
	KindPermissionDenied
	// KindUnauthenticated is HTTP 401 or a credential that cannot get a token.
	KindUnauthenticated
	// KindNotFound is HTTP 404 where absence is not success, or a name
	// (group, SKU, application, app role) the tenant does not have.
	KindNotFound
	// KindInvalidValue is HTTP 400: a value Graph refuses (the message names it).
	KindInvalidValue
	// KindConflict is a value taken by another object (UPN, mail nickname,
	// proxy address) or an ambiguous match (two users with one employeeId).
	KindConflict
	// KindNoSeats is a licence assignment refused because the SKU has no free seats.
	KindNoSeats
	// KindUsageLocationMissing is a licence assignment refused because the user
	// has no usageLocation.
	KindUsageLocationMissing
	// KindNotYetVisible is an object that must exist but cannot be read yet:
	// Entra refused an address as taken, yet no user holding it can be found.
	// Entra ID is eventually consistent, and a user created seconds ago may
	// answer 404 on reads for a while
	// (https://learn.microsoft.com/graph/best-practices-concept#handling-expected-errors
	// and the "Request_ResourceNotFound" guidance on replication delays). It
	// is not retryable by itself: the caller decides for how long to wait.
	KindNotYetVisible
	// KindSyncedReadOnly is a PATCH refused because the user is synchronised
	// from on-premises Active Directory (onPremisesSyncEnabled) and the
	// properties are mastered there.
	KindSyncedReadOnly
	// KindInheritedLicense is a licence removal refused because the user
	// inherits the licence from a group (group-based licensing).
	KindInheritedLicense
	// KindUnexpected is anything else: a reply the client cannot interpret.
	KindUnexpected
)

var kindNames = map[Kind]string{
	KindThrottled:            "GraphThrottled",
	KindUnavailable:          "GraphUnavailable",
	KindNetwork:              "GraphNetwork",
	KindPermissionDenied:     "GraphPermissionDenied",
	KindUnauthenticated:      "GraphUnauthenticated",
	KindNotFound:             "GraphNotFound",
	KindInvalidValue:         "GraphInvalidValue",
	KindConflict:             "GraphConflict",
	KindNoSeats:              "GraphNoSeats",
	KindUsageLocationMissing: "GraphUsageLocationMissing",
	KindNotYetVisible:        "GraphNotYetVisible",
	KindSyncedReadOnly:       "GraphSyncedReadOnly",
	KindInheritedLicense:     "GraphInheritedLicense",
	KindUnexpected:           "GraphUnexpected",
}

// String returns the stable type name of the kind, e.g. "GraphThrottled".
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "GraphKind(" + strconv.Itoa(int(k)) + ")"
}

// Retryable reports whether a failure of this kind may heal by itself.
func (k Kind) Retryable() bool {
	return k == KindThrottled || k == KindUnavailable || k == KindNetwork
}

// Error is a classified directory failure. Its Type is a stable name that
// callers (Temporal application errors, the CLI) can match on; Message is
// meant for a person.
type Error struct {
	// Kind is the classification.
	Kind Kind
	// Status is the HTTP status code, 0 when there was no HTTP answer.
	Status int
	// Code is Graph's error code, e.g. "Request_BadRequest".
	Code string
	// Op names the operation, e.g. "create user 1001".
	Op string
	// Message says what went wrong and what a person can do about it.
	Message string
	// RetryAfter is the delay the server asked for (Retry-After), 0 if none.
	RetryAfter time.Duration
	// Err is the underlying error, if any.
	Err error

	// graphMessage is Graph's own message, for idempotency checks.
	graphMessage string
}

// Type returns the stable type name, e.g. "GraphPermissionDenied".
func (e *Error) Type() string { return e.Kind.String() }

// Retryable reports whether the operation may succeed when tried again.
func (e *Error) Retryable() bool { return e.Kind.Retryable() }

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("directory: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Status != 0 || e.Code != "" {
		b.WriteString(" (")
		if e.Status != 0 {
			b.WriteString(strconv.Itoa(e.Status))
		}
		if e.Code != "" {
			if e.Status != 0 {
				b.WriteString(" ")
			}
			b.WriteString(e.Code)
		}
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err (or an error it wraps) is a retryable
// directory failure. Errors this package did not classify are not retryable.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// RetryAfter returns the delay the server asked for before the next attempt,
// or 0 when err carries none.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// KindOf returns the kind of a directory error, or 0 when err is not one.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// UnknownNamesError lists names the tenant does not have. It is wrapped in an
// *Error of KindNotFound by the Resolve* methods.
type UnknownNamesError struct {
	// What is "group", "SKU", "application" or "app role".
	What string
	// Names are the names not found.
	Names []string
}

// Error implements error.
func (e *UnknownNamesError) Error() string {
	return fmt.Sprintf("the tenant has no %s named %s", e.What, quoteList(e.Names))
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// op describes an operation for error messages: its name and the Graph
// application permission it needs.
type op struct {
	name string
	perm string
}

// Graph application permissions, least privileged, as listed in each API's
// "Permissions" section on learn.microsoft.com/graph/api/... (user-post-users,
// user-update, group-post-members, user-assignlicense,
// user-post-approleassignments, user-revokesigninsessions,
// authentication-post-temporaryaccesspassmethods, user-sendmail, user-delete,
// directory-deleteditems-restore, subscribedsku-list, serviceprincipal-list)
// and https://learn.microsoft.com/graph/tutorial-lifecycle-workflows-set-employeeleavedatetime.
const (
	permUserRead         = "User.Read.All"
	permUserReadWrite    = "User.ReadWrite.All"
	permLifeCycle        = "User-LifeCycleInfo.ReadWrite.All"
	permEnableDisable    = "User.EnableDisableAccount.All (or User.ReadWrite.All)"
	permGroupRead        = "GroupMember.Read.All"
	permGroupMember      = "GroupMember.ReadWrite.All"
	permLicense          = "LicenseAssignment.ReadWrite.All"
	permLicenseRead      = "LicenseAssignment.Read.All"
	permAppRead          = "Application.Read.All"
	permAppRole          = "AppRoleAssignment.ReadWrite.All"
	permRevokeSessions   = "User.RevokeSessions.All (or User.ReadWrite.All)"
	permTemporaryPass    = "UserAuthenticationMethod.ReadWrite.All"
	permMailSend         = "Mail.Send"
	permUserDeleteRestor = "User.ReadWrite.All"
)

// newError builds a classified error without an HTTP answer.
func newError(o op, kind Kind, msg string, err error) *Error {
	return &Error{Kind: kind, Op: o.name, Message: msg, Err: err}
}

// classify turns any error from the SDK, the HTTP stack or the credential
// into an *Error. It returns nil for nil and leaves an *Error alone.
func classify(o op, err error) error {
	if err == nil {
		return nil
	}
	var de *Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The caller's context ended: report that, it is not Graph's verdict.
		return fmt.Errorf("directory: %s: %w", o.name, err)
	}

	var se *statusError
	if errors.As(err, &se) {
		return fromStatus(o, se.status, "", se.snippet, se.retryAfter, err)
	}
	var odata *odataerrors.ODataError
	if errors.As(err, &odata) {
		code, msg := odataCodeMessage(odata)
		return fromStatus(o, odata.GetStatusCode(), code, msg, headerValue(odata.GetResponseHeaders(), "Retry-After"), err)
	}
	var apiErr abstractions.ApiErrorable
	if errors.As(err, &apiErr) {
		return fromStatus(o, apiErr.GetStatusCode(), "", "", headerValue(apiErr.GetResponseHeaders(), "Retry-After"), err)
	}

	var authErr *azidentity.AuthenticationFailedError
	if errors.As(err, &authErr) {
		if authErr.RawResponse != nil && retryableStatus(authErr.RawResponse.StatusCode) {
			return &Error{Kind: KindUnavailable, Op: o.name, Status: authErr.RawResponse.StatusCode,
				Message: "the identity platform could not issue a token right now", Err: err}
		}
		// The message of an AuthenticationFailedError describes the response of
		// the token endpoint; it never contains the secret or a token.
		return &Error{Kind: KindUnauthenticated, Op: o.name,
			Message: "could not get a Graph token: check AZURE_TENANT_ID, AZURE_CLIENT_ID and the client secret / certificate / federated token", Err: err}
	}
	var unavailable interface{ NonRetriable() }
	if errors.As(err, &unavailable) {
		return &Error{Kind: KindUnauthenticated, Op: o.name,
			Message: "no usable Azure credential: set AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE, or run with a managed identity", Err: err}
	}

	if isNetworkError(err) {
		return &Error{Kind: KindNetwork, Op: o.name, Message: "could not reach Microsoft Graph: " + err.Error(), Err: err}
	}
	return &Error{Kind: KindUnexpected, Op: o.name, Message: err.Error(), Err: err}
}

// odataCodeMessage reads the code and message of an OData error without
// calling its Error method, which dereferences a nil message on a malformed
// error body.
func odataCodeMessage(e *odataerrors.ODataError) (code, msg string) {
	main := e.GetErrorEscaped()
	if main == nil {
		return "", ""
	}
	if c := main.GetCode(); c != nil {
		code = *c
	}
	if m := main.GetMessage(); m != nil {
		msg = *m
	}
	return code, msg
}

func headerValue(h *abstractions.ResponseHeaders, name string) string {
	if h == nil {
		return ""
	}
	for _, k := range h.ListKeys() {
		if strings.EqualFold(k, name) {
			if v := h.Get(k); len(v) > 0 {
				return v[0]
			}
		}
	}
	return ""
}

func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (RFC 9110 section 10.2.3). Graph sends seconds
// (https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > 3600 {
			secs = 3600
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Messages by which Entra tells apart failures that share status 400 and the
// code Request_BadRequest. They are matched case-insensitively as substrings.
var (
	// https://learn.microsoft.com/graph/api/user-assignlicense (usageLocation is
	// required before a licence can be assigned).
	usageLocationMarkers = []string{"usage location"}
	// "Subscription with SKU … does not have any available licenses."
	noSeatsMarkers = []string{"does not have any available licenses", "no available licenses"}
	// Uniqueness violations on create / update.
	conflictMarkers = []string{"already exists", "already in use", "objectconflict"}
	// "User license is inherited from a group membership and it cannot be
	// removed directly from the user." (group-based licensing).
	inheritedMarkers = []string{"inherited from a group"}
	// "Unable to update the specified properties for on-premises mastered
	// Directory Sync objects or objects currently undergoing migration."
	// (https://github.com/microsoftgraph/microsoft-graph-docs/issues/18038).
	syncedMarkers = []string{"on-premises mastered"}
)

func containsAny(s string, markers []string) bool {
	s = strings.ToLower(s)
	for _, m := range markers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// fromStatus classifies an HTTP failure.
func fromStatus(o op, status int, code, msg, retryAfter string, err error) *Error {
	e := &Error{Status: status, Code: code, Op: o.name, Err: err, graphMessage: msg}
	graphSaid := msg
	if graphSaid == "" {
		graphSaid = http.StatusText(status)
	}
	switch {
	case status == http.StatusTooManyRequests:
		e.Kind = KindThrottled
		e.RetryAfter = parseRetryAfter(retryAfter, time.Now())
		e.Message = "Graph is throttling the application: " + graphSaid
	case retryableStatus(status):
		e.Kind = KindUnavailable
		e.RetryAfter = parseRetryAfter(retryAfter, time.Now())
		e.Message = "Graph is temporarily unavailable: " + graphSaid
	case status == http.StatusUnauthorized:
		e.Kind = KindUnauthenticated
		e.Message = "Graph refused the access token (" + graphSaid + "): check the tenant id, client id and credential"
	case status == http.StatusForbidden:
		e.Kind = KindPermissionDenied
		perm := o.perm
		if perm == "" {
			perm = permUserReadWrite
		}
		e.Message = fmt.Sprintf("%s needs the Microsoft Graph application permission %s with admin consent; "+
			"if it is granted, the target may hold a privileged role the application may not change (Graph said: %s)",
			o.name, perm, graphSaid)
	case status == http.StatusNotFound:
		e.Kind = KindNotFound
		e.Message = "not found: " + graphSaid
	case status == http.StatusConflict:
		e.Kind = KindConflict
		e.Message = graphSaid
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		switch {
		case containsAny(msg, usageLocationMarkers):
			e.Kind = KindUsageLocationMissing
			e.Message = "the user has no usageLocation, which licensing requires: set tenant.usageLocation in the policy or usageLocation on the user (Graph said: " + graphSaid + ")"
		case containsAny(msg, inheritedMarkers):
			e.Kind = KindInheritedLicense
			e.Message = "the licence is inherited from a group and can only be removed by taking the user out of that group (Graph said: " + graphSaid + ")"
		case containsAny(msg, syncedMarkers):
			e.Kind = KindSyncedReadOnly
			e.Message = "the user is synchronised from on-premises Active Directory and these properties can only be changed there (Graph said: " + graphSaid + ")"
		case containsAny(msg, noSeatsMarkers):
			e.Kind = KindNoSeats
			e.Message = "no free licence seats: buy more or free some (Graph said: " + graphSaid + ")"
		case containsAny(msg, conflictMarkers) || containsAny(code, conflictMarkers):
			e.Kind = KindConflict
			e.Message = "a value is already taken by another object: " + graphSaid
		default:
			e.Kind = KindInvalidValue
			e.Message = "Graph refused a value: " + graphSaid
		}
	default:
		e.Kind = KindUnexpected
		e.Message = fmt.Sprintf("unexpected HTTP %d: %s", status, graphSaid)
	}
	return e
}

// isNetworkError reports a failure below HTTP.
func isNetworkError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// Retry calls fn up to attempts times while it fails with a retryable error,
// waiting the error's RetryAfter (or an exponential backoff from one second,
// capped at 30 seconds, when the server named no delay) between attempts. It
// is for callers outside Temporal (the CLI, tests); activities let Temporal
// retry instead. It returns fn's last error, or the context's error when ctx
// ends while waiting.
func Retry(ctx context.Context, attempts int, fn func(context.Context) error) error {
	if attempts < 1 {
		attempts = 1
	}
	backoff := time.Second
	var err error
	for i := 0; i < attempts; i++ {
		err = fn(ctx)
		if err == nil || !IsRetryable(err) || i == attempts-1 {
			return err
		}
		wait := RetryAfter(err)
		if wait <= 0 {
			wait = backoff
			backoff *= 2
			if backoff > 30*time.Second {
				backoff = 30 * time.Second
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("directory: retry stopped after %d attempts: %w (last error: %w)", i+1, ctx.Err(), err)
		case <-t.C:
		}
	}
	return err
}
