package devstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
	sim *graphsim.Sim
	srv *http.Server
}

// graphStore says where the simulated tenant is kept.
type graphStore struct {
	// database is the simulator's SQLite file; empty keeps the tenant in memory only.
	database string
	// importFile is a JSON tenant saved by an older dev stack (on a clean stop only): when
	// the database holds no tenant yet, it is imported instead of the seed, then renamed.
	importFile string
}

// startGraph serves a simulator on addr with the given replication lag. With a database the
// tenant is durable: the database's tenant is loaded (the seed, or a legacy JSON tenant, only
// fills a new database) and every write the simulator acknowledges is stored first, so a
// killed process loses nothing it answered.
func startGraph(addr string, seed *graphsim.Seed, store graphStore, lag time.Duration, logger *slog.Logger) (*graphServer, error) {
	sim := graphsim.New()
	cfg := sim.Config()
	cfg.ReplicationLagMs = int(lag / time.Millisecond)
	if err := sim.SetConfig(cfg); err != nil {
		return nil, fmt.Errorf("Graph simulator: %w", err)
	}
	imported := ""
	if store.importFile != "" {
		if _, err := os.Stat(store.database); errors.Is(err, os.ErrNotExist) {
			b, err := os.ReadFile(store.importFile)
			switch {
			case err == nil:
				var saved graphsim.Seed
				if err := json.Unmarshal(b, &saved); err != nil {
					return nil, fmt.Errorf("Graph simulator state %s: %w", store.importFile, err)
				}
				seed = &saved
				imported = store.importFile
			case !errors.Is(err, os.ErrNotExist):
				return nil, fmt.Errorf("Graph simulator state %s: %w", store.importFile, err)
			}
		}
	}
	// The seed goes in first; PersistTo replaces it with the database's tenant when there is
	// one, and stores it when the database is new (or was left empty by a crash).
	if seed != nil {
		if err := sim.Seed(*seed); err != nil {
			return nil, fmt.Errorf("seed Graph simulator: %w", err)
		}
	}
	if store.database != "" {
		if err := os.MkdirAll(filepath.Dir(store.database), 0o700); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
		if err := sim.PersistTo(store.database); err != nil {
			return nil, fmt.Errorf("Graph simulator database: %w", err)
		}
		if imported != "" {
			// Imported once: the database is the tenant from now on.
			if err := os.Rename(imported, imported+".imported"); err != nil {
				_ = sim.Close()
				return nil, fmt.Errorf("Graph simulator state %s: %w", imported, err)
			}
			logger.Info("Graph simulator tenant imported", "from", imported, "into", store.database)
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		_ = sim.Close()
		return nil, fmt.Errorf("Graph simulator address %s: %w", addr, err)
	}
	srv := graphsim.NewServer(addr, sim)
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("Graph simulator stopped", "addr", addr, "error", err)
		}
	}()
	return &graphServer{sim: sim, srv: srv}, nil
}

// stop closes the server, then the database (every write is stored already).
func (g *graphServer) stop() error {
	_ = g.srv.Close()
	return g.sim.Close()
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
