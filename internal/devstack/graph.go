package devstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/sample"
)

// DefaultGraphAddr is where dev mode serves the Microsoft Graph simulator.
const DefaultGraphAddr = "127.0.0.1:8234"

// MailSender is the mailbox the engine sends manager notifications from in dev mode.
const MailSender = "lifecycle-notifications"

// graphServer is the Graph simulator served on a loopback address.
type graphServer struct {
	sim       *graphsim.Sim
	srv       *http.Server
	stateFile string
}

// startGraph serves a simulator on addr. When stateFile holds a tenant saved by a previous
// run, that tenant is restored instead of seed, so dev mode's Entra state survives a restart
// as Temporal's does.
func startGraph(addr string, seed *graphsim.Seed, stateFile string, lag time.Duration, logger *slog.Logger) (*graphServer, error) {
	sim := graphsim.New()
	cfg := sim.Config()
	cfg.ReplicationLagMs = int(lag / time.Millisecond)
	if err := sim.SetConfig(cfg); err != nil {
		return nil, fmt.Errorf("Graph simulator: %w", err)
	}
	if stateFile != "" {
		b, err := os.ReadFile(stateFile)
		switch {
		case err == nil:
			var saved graphsim.Seed
			if err := json.Unmarshal(b, &saved); err != nil {
				return nil, fmt.Errorf("Graph simulator state %s: %w", stateFile, err)
			}
			if err := sim.Seed(saved); err != nil {
				return nil, fmt.Errorf("restore Graph simulator state from %s: %w", stateFile, err)
			}
			seed = nil
			logger.Info("Graph simulator tenant restored", "file", stateFile, "users", len(saved.Users))
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("Graph simulator state %s: %w", stateFile, err)
		}
	}
	if seed != nil {
		if err := sim.Seed(*seed); err != nil {
			return nil, fmt.Errorf("seed Graph simulator: %w", err)
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("Graph simulator address %s: %w", addr, err)
	}
	srv := graphsim.NewServer(addr, sim)
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("Graph simulator stopped", "addr", addr, "error", err)
		}
	}()
	return &graphServer{sim: sim, srv: srv, stateFile: stateFile}, nil
}

// stop closes the server and saves the tenant when a state file is configured.
func (g *graphServer) stop() error {
	_ = g.srv.Close()
	if g.stateFile == "" {
		return nil
	}
	b, err := json.Marshal(g.sim.Snapshot())
	if err != nil {
		return fmt.Errorf("save Graph simulator state: %w", err)
	}
	tmp := g.stateFile + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("save Graph simulator state: %w", err)
	}
	return os.Rename(tmp, g.stateFile)
}

// SampleSeed is the tenant the bundled sample policy needs (see PolicySeed).
func SampleSeed() graphsim.Seed {
	p, err := policy.Parse("sample policy.yaml", sample.Policy())
	if err != nil {
		// The bundled policy is checked by the sample package's tests.
		panic(fmt.Sprintf("bundled sample policy: %v", err))
	}
	return PolicySeed(p)
}

// PolicySeed is the tenant a policy needs: its verified domain, every group, SKU (with seats
// to spare) and application role it names, and a mailbox to send notifications from
// (MailSender@domain). No employees: the engine provisions them.
func PolicySeed(p *policy.Policy) graphsim.Seed {
	domain := p.Tenant.Domain
	seed := graphsim.Seed{Domains: []string{domain}}
	apps := map[string]int{}
	for _, e := range p.Managed() {
		switch e.Kind {
		case policy.KindGroup:
			seed.Groups = append(seed.Groups, graphsim.SeedGroup{DisplayName: e.Name})
		case policy.KindLicense:
			seed.SKUs = append(seed.SKUs, graphsim.SeedSKU{SkuPartNumber: e.Name, PrepaidUnits: 250})
		case policy.KindAppRole:
			i, ok := apps[e.App]
			if !ok {
				i = len(seed.ServicePrincipals)
				apps[e.App] = i
				seed.ServicePrincipals = append(seed.ServicePrincipals, graphsim.SeedServicePrincipal{DisplayName: e.App})
			}
			seed.ServicePrincipals[i].AppRoles = append(seed.ServicePrincipals[i].AppRoles,
				graphsim.SeedAppRole{Value: e.Role, DisplayName: e.Role})
		}
	}
	seed.Users = []map[string]any{{
		"displayName":       "Lifecycle notifications",
		"userPrincipalName": MailSender + "@" + domain,
		"mailNickname":      MailSender,
		"mail":              MailSender + "@" + domain,
		"accountEnabled":    true,
	}}
	return seed
}
