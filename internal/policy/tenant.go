package policy

import (
	"context"
	"fmt"
)

// Catalog answers whether the things a policy names exist in the tenant. The
// directory adapter implements it. Each method receives every distinct name
// once and returns those the tenant lacks (in any order and spelling case).
type Catalog interface {
	// MissingGroups returns the group display names no group has.
	MissingGroups(ctx context.Context, names []string) ([]string, error)
	// MissingSKUs returns the SKU part numbers the tenant has no subscription for.
	MissingSKUs(ctx context.Context, skuPartNumbers []string) ([]string, error)
	// MissingAppRoles returns the app roles whose application (service
	// principal) or role does not exist.
	MissingAppRoles(ctx context.Context, roles []AppRole) ([]AppRole, error)
}

// DomainCatalog is optionally implemented by a Catalog that can tell whether
// the tenant has verified a domain; CheckTenant then checks tenant.domain too.
type DomainCatalog interface {
	// DomainVerified reports whether the tenant has verified the domain.
	DomainVerified(ctx context.Context, domain string) (bool, error)
}

// ref is one place in the policy that names an entitlement.
type ref struct {
	e    Entitlement
	rule string
	path string
}

// CheckTenant asks the catalog whether every group, licence and app role the
// rules name exists, and (when the catalog implements DomainCatalog) whether
// tenant.domain is verified. Missing items are reported together, each with
// the file, the line where the rule names it, the rule and the item; the catalog's answers match the policy's spelling
// case-insensitively. Catalog
// failures are returned wrapped, and are not policy errors.
func (p *Policy) CheckTenant(ctx context.Context, c Catalog) error {
	refs, groups, skus, roles := p.tenantRefs()
	missing, err := missingInTenant(ctx, c, groups, skus, roles)
	if err != nil {
		return err
	}
	v := &validator{p: p}
	if dc, ok := c.(DomainCatalog); ok && p.Tenant.Domain != "" {
		verified, err := dc.DomainVerified(ctx, p.Tenant.Domain)
		if err != nil {
			return fmt.Errorf("checking the policy's domain in the tenant: %w", err)
		}
		if !verified {
			v.errorf("tenant.domain", "tenant.domain %q is not a verified domain of the tenant", p.Tenant.Domain)
		}
	}
	for _, r := range refs {
		if !missing[r.e.key()] {
			continue
		}
		var what string
		switch r.e.Kind {
		case KindGroup:
			what = fmt.Sprintf("group %q does not exist in the tenant", r.e.Name)
		case KindLicense:
			what = fmt.Sprintf("licence %q (SKU part number) is not among the tenant's subscriptions", r.e.Name)
		case KindAppRole:
			what = fmt.Sprintf("app role %q of app %q does not exist in the tenant", r.e.Role, r.e.App)
		}
		v.errorf(r.path, "rule %q: %s", r.rule, what)
	}
	if len(v.errs) > 0 {
		return joinSorted(v.errs)
	}
	return nil
}

// tenantRefs lists every entitlement the rules name (with where), and the
// distinct groups, SKUs and app roles to look up.
func (p *Policy) tenantRefs() (refs []ref, groups, skus []string, roles []AppRole) {
	seen := map[string]bool{}
	for i, r := range p.Rules {
		add := func(e Entitlement, path string) {
			refs = append(refs, ref{e: e, rule: r.Name, path: path})
			if seen[e.key()] {
				return
			}
			seen[e.key()] = true
			switch e.Kind {
			case KindGroup:
				groups = append(groups, e.Name)
			case KindLicense:
				skus = append(skus, e.Name)
			case KindAppRole:
				roles = append(roles, AppRole{App: e.App, Role: e.Role})
			}
		}
		for j, g := range r.Groups {
			add(Group(g), fmt.Sprintf("rules[%d].groups[%d]", i, j))
		}
		for j, l := range r.Licenses {
			add(License(l), fmt.Sprintf("rules[%d].licenses[%d]", i, j))
		}
		for j, ar := range r.AppRoles {
			add(AppRoleOf(ar.App, ar.Role), fmt.Sprintf("rules[%d].appRoles[%d]", i, j))
		}
	}
	return refs, groups, skus, roles
}

// missingInTenant asks the catalog which groups, SKUs and app roles are
// missing, and returns their entitlement keys.
func missingInTenant(ctx context.Context, c Catalog, groups, skus []string, roles []AppRole) (map[string]bool, error) {
	missing := map[string]bool{}
	if len(groups) > 0 {
		names, err := c.MissingGroups(ctx, groups)
		if err != nil {
			return nil, fmt.Errorf("checking the policy's groups in the tenant: %w", err)
		}
		for _, n := range names {
			missing[Group(n).key()] = true
		}
	}
	if len(skus) > 0 {
		names, err := c.MissingSKUs(ctx, skus)
		if err != nil {
			return nil, fmt.Errorf("checking the policy's licences in the tenant: %w", err)
		}
		for _, n := range names {
			missing[License(n).key()] = true
		}
	}
	if len(roles) > 0 {
		lacking, err := c.MissingAppRoles(ctx, roles)
		if err != nil {
			return nil, fmt.Errorf("checking the policy's app roles in the tenant: %w", err)
		}
		for _, ar := range lacking {
			missing[AppRoleOf(ar.App, ar.Role).key()] = true
		}
	}
	return missing, nil
}
