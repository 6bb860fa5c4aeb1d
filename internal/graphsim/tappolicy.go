package graphsim

import (
	"fmt"
	"net/http"
	"strings"
)

// tapPolicy is the tenant's temporaryAccessPassAuthenticationMethodConfiguration
// (https://learn.microsoft.com/graph/api/resources/temporaryaccesspassauthenticationmethodconfiguration).
type tapPolicy struct {
	State                    string `json:"state"`
	MinimumLifetimeInMinutes int    `json:"minimumLifetimeInMinutes"`
	MaximumLifetimeInMinutes int    `json:"maximumLifetimeInMinutes"`
	DefaultLifetimeInMinutes int    `json:"defaultLifetimeInMinutes"`
	IsUsableOnce             bool   `json:"isUsableOnce"`
	DefaultLength            int    `json:"defaultLength"`
}

// defaultTAPPolicy is Entra ID's out-of-the-box policy: passes of 1 to 8
// hours, one hour by default, usable more than once, 8 characters
// (https://learn.microsoft.com/entra/identity/authentication/howto-authentication-temporary-access-pass#enable-the-temporary-access-pass-policy).
func defaultTAPPolicy() tapPolicy {
	return tapPolicy{State: "enabled", MinimumLifetimeInMinutes: 60, MaximumLifetimeInMinutes: 480,
		DefaultLifetimeInMinutes: 60, IsUsableOnce: false, DefaultLength: 8}
}

// validate applies the documented ranges: lifetimes 10..43200 minutes with
// min <= default <= max, length 8..48, state enabled or disabled.
func (p tapPolicy) validate() error {
	switch {
	case p.State != "enabled" && p.State != "disabled":
		return fmt.Errorf("state must be enabled or disabled, got %q", p.State)
	case p.MinimumLifetimeInMinutes < tapMinLifetime || p.MaximumLifetimeInMinutes > tapMaxLifetime:
		return fmt.Errorf("lifetimes must be between %d and %d minutes", tapMinLifetime, tapMaxLifetime)
	case p.MinimumLifetimeInMinutes > p.MaximumLifetimeInMinutes:
		return fmt.Errorf("minimumLifetimeInMinutes %d exceeds maximumLifetimeInMinutes %d", p.MinimumLifetimeInMinutes, p.MaximumLifetimeInMinutes)
	case p.DefaultLifetimeInMinutes < p.MinimumLifetimeInMinutes || p.DefaultLifetimeInMinutes > p.MaximumLifetimeInMinutes:
		return fmt.Errorf("defaultLifetimeInMinutes %d is outside %d..%d", p.DefaultLifetimeInMinutes, p.MinimumLifetimeInMinutes, p.MaximumLifetimeInMinutes)
	case p.DefaultLength < 8 || p.DefaultLength > 48:
		return fmt.Errorf("defaultLength must be between 8 and 48, got %d", p.DefaultLength)
	}
	return nil
}

// SeedTAPPolicy sets the tenant's Temporary Access Pass policy; omitted
// (zero) fields keep their current value.
type SeedTAPPolicy struct {
	State                    string `json:"state,omitempty"`
	MinimumLifetimeInMinutes int    `json:"minimumLifetimeInMinutes,omitempty"`
	MaximumLifetimeInMinutes int    `json:"maximumLifetimeInMinutes,omitempty"`
	DefaultLifetimeInMinutes int    `json:"defaultLifetimeInMinutes,omitempty"`
	IsUsableOnce             *bool  `json:"isUsableOnce,omitempty"`
	DefaultLength            int    `json:"defaultLength,omitempty"`
}

// apply merges sp into p.
func (sp SeedTAPPolicy) apply(p tapPolicy) tapPolicy {
	if sp.State != "" {
		p.State = sp.State
	}
	if sp.MinimumLifetimeInMinutes != 0 {
		p.MinimumLifetimeInMinutes = sp.MinimumLifetimeInMinutes
	}
	if sp.MaximumLifetimeInMinutes != 0 {
		p.MaximumLifetimeInMinutes = sp.MaximumLifetimeInMinutes
	}
	if sp.DefaultLifetimeInMinutes != 0 {
		p.DefaultLifetimeInMinutes = sp.DefaultLifetimeInMinutes
	}
	if sp.IsUsableOnce != nil {
		p.IsUsableOnce = *sp.IsUsableOnce
	}
	if sp.DefaultLength != 0 {
		p.DefaultLength = sp.DefaultLength
	}
	return p
}

func (s *Sim) renderTAPPolicy(c *call) map[string]any {
	p := s.t.tapPolicy
	return map[string]any{
		"@odata.context":           c.base + "/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
		"@odata.type":              "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
		"id":                       "TemporaryAccessPass",
		"state":                    p.State,
		"defaultLifetimeInMinutes": p.DefaultLifetimeInMinutes,
		"defaultLength":            p.DefaultLength,
		"minimumLifetimeInMinutes": p.MinimumLifetimeInMinutes,
		"maximumLifetimeInMinutes": p.MaximumLifetimeInMinutes,
		"isUsableOnce":             p.IsUsableOnce,
		"includeTargets": []any{map[string]any{
			"targetType": "group", "id": "all_users", "isRegistrationRequired": false,
		}},
		"excludeTargets": []any{},
	}
}

// getTAPPolicy serves GET /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass
// (https://learn.microsoft.com/graph/api/temporaryaccesspassauthenticationmethodconfiguration-get).
func (s *Sim) getTAPPolicy(c *call) *response {
	return c.jsonResponse(http.StatusOK, s.renderTAPPolicy(c))
}

// patchTAPPolicy serves PATCH on the same path
// (https://learn.microsoft.com/graph/api/temporaryaccesspassauthenticationmethodconfiguration-update): 204.
func (s *Sim) patchTAPPolicy(c *call) *response {
	body, r := s.decodeObject(c)
	if r != nil {
		return r
	}
	p := s.t.tapPolicy
	for k, v := range body {
		bad := false
		switch strings.ToLower(k) {
		case "@odata.type", "id", "includetargets", "excludetargets":
		case "state":
			sv, ok := v.(string)
			p.State, bad = strings.ToLower(sv), !ok
		case "minimumlifetimeinminutes", "maximumlifetimeinminutes", "defaultlifetimeinminutes", "defaultlength":
			n, ok := v.(float64)
			if !ok || n != float64(int(n)) {
				bad = true
				break
			}
			switch strings.ToLower(k) {
			case "minimumlifetimeinminutes":
				p.MinimumLifetimeInMinutes = int(n)
			case "maximumlifetimeinminutes":
				p.MaximumLifetimeInMinutes = int(n)
			case "defaultlifetimeinminutes":
				p.DefaultLifetimeInMinutes = int(n)
			default:
				p.DefaultLength = int(n)
			}
		case "isusableonce":
			b, ok := v.(bool)
			p.IsUsableOnce, bad = b, !ok
		default:
			return s.fail(c, http.StatusBadRequest, "BadRequest",
				fmt.Sprintf("Property '%s' does not exist on type 'microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration'.", k))
		}
		if bad {
			return s.fail(c, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid value specified for property '%s'.", k))
		}
	}
	if err := p.validate(); err != nil {
		return s.fail(c, http.StatusBadRequest, "BadRequest", "Invalid Temporary Access Pass policy: "+err.Error()+".")
	}
	s.t.tapPolicy = p
	return c.noContent()
}
