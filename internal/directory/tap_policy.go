package directory

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// TemporaryAccessPassPolicy is the tenant's Temporary Access Pass method
// configuration
// (https://learn.microsoft.com/graph/api/resources/temporaryaccesspassauthenticationmethodconfiguration):
// every pass must live between Minimum and Maximum, and when UsableOnce is
// set every pass must be one-time; Graph refuses anything else with 400.
type TemporaryAccessPassPolicy struct {
	Minimum, Maximum, Default time.Duration
	UsableOnce                bool
	// FromTenant is false when the tenant's configuration could not be read
	// and these are Entra's defaults.
	FromTenant bool
}

// DefaultTemporaryAccessPassPolicy is Entra's default configuration: passes
// of 1 to 8 hours, 1 hour unless asked, not one-time.
var DefaultTemporaryAccessPassPolicy = TemporaryAccessPassPolicy{
	Minimum: time.Hour, Maximum: 8 * time.Hour, Default: time.Hour,
}

// Clamp returns the lifetime to ask for when want is wanted (0: the
// tenant's default), and whether it had to be moved into the policy's range.
func (p TemporaryAccessPassPolicy) Clamp(want time.Duration) (time.Duration, bool) {
	switch {
	case want <= 0:
		return p.Default, false
	case p.Minimum > 0 && want < p.Minimum:
		return p.Minimum, true
	case p.Maximum > 0 && want > p.Maximum:
		return p.Maximum, true
	}
	return want, false
}

// TemporaryAccessPassPolicy reads the tenant's Temporary Access Pass
// configuration (GET /policies/authenticationMethodsPolicy/
// authenticationMethodConfigurations/TemporaryAccessPass, permission
// Policy.Read.All). When the endpoint answers 404 or does not know the path
// (a simulator without it), or the permission is missing (logged), Entra's
// defaults are returned.
//
// The answer is kept for the cache TTL (Config.CacheTTL) like resolved names:
// the policy changes rarely, and reading it for every pass would cost every
// hire a Graph read and a round trip.
func (c *Client) TemporaryAccessPassPolicy(ctx context.Context) (TemporaryAccessPassPolicy, error) {
	c.mu.Lock()
	hit := c.tapPolicy
	c.mu.Unlock()
	if hit != nil && c.now().Sub(hit.at) < c.cacheTTL {
		return hit.v, nil
	}
	p, err := c.readTemporaryAccessPassPolicy(ctx)
	if err == nil {
		c.mu.Lock()
		c.tapPolicy = &cached[TemporaryAccessPassPolicy]{v: p, at: c.now()}
		c.mu.Unlock()
	}
	return p, err
}

func (c *Client) readTemporaryAccessPassPolicy(ctx context.Context) (TemporaryAccessPassPolicy, error) {
	o := op{"read the Temporary Access Pass policy", "Policy.Read.All"}
	m, err := c.graph.Policies().AuthenticationMethodsPolicy().AuthenticationMethodConfigurations().
		ByAuthenticationMethodConfigurationId("TemporaryAccessPass").Get(ctx, nil)
	if err != nil {
		err = classify(o, err)
		var de *Error
		switch {
		case KindOf(err) == KindNotFound,
			// An endpoint that lacks the path: "Resource not found for the segment …".
			errors.As(err, &de) && de.Status == 400 && strings.Contains(de.graphMessage, "Resource not found for the segment"):
			return DefaultTemporaryAccessPassPolicy, nil
		case KindOf(err) == KindPermissionDenied:
			c.log.Warn("cannot read the Temporary Access Pass policy (grant Policy.Read.All): using Entra's defaults", "error", err)
			return DefaultTemporaryAccessPassPolicy, nil
		}
		return TemporaryAccessPassPolicy{}, err
	}
	out := DefaultTemporaryAccessPassPolicy
	tap, ok := m.(models.TemporaryAccessPassAuthenticationMethodConfigurationable)
	if !ok {
		return out, nil
	}
	out.FromTenant = true
	minutes := func(p *int32, def time.Duration) time.Duration {
		if p == nil || *p <= 0 {
			return def
		}
		return time.Duration(*p) * time.Minute
	}
	out.Minimum = minutes(tap.GetMinimumLifetimeInMinutes(), out.Minimum)
	out.Maximum = minutes(tap.GetMaximumLifetimeInMinutes(), out.Maximum)
	out.Default = minutes(tap.GetDefaultLifetimeInMinutes(), out.Default)
	if b := tap.GetIsUsableOnce(); b != nil {
		out.UsableOnce = *b
	}
	return out, nil
}
