package devstack

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/entralifecycle/engine/internal/graphsim"
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

func startGraph(addr string, seed *graphsim.Seed, logger *slog.Logger) (*graphServer, error) {
	sim := graphsim.New()
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
	return &graphServer{sim: sim, srv: srv}, nil
}

// SampleSeed is the tenant the bundled sample policy needs: its verified domain, every group,
// SKU (with seats to spare) and application role it names, and a mailbox to send
// notifications from. No users: the engine provisions them.
func SampleSeed() graphsim.Seed {
	domain := sample.Domain()
	seed := graphsim.Seed{Domains: []string{domain}}
	for _, g := range sample.Groups() {
		seed.Groups = append(seed.Groups, graphsim.SeedGroup{DisplayName: g})
	}
	for _, s := range sample.SKUs() {
		seed.SKUs = append(seed.SKUs, graphsim.SeedSKU{SkuPartNumber: s, PrepaidUnits: 250})
	}
	apps := map[string]int{}
	for _, ar := range sample.Apps() {
		i, ok := apps[ar.App]
		if !ok {
			i = len(seed.ServicePrincipals)
			apps[ar.App] = i
			seed.ServicePrincipals = append(seed.ServicePrincipals, graphsim.SeedServicePrincipal{DisplayName: ar.App})
		}
		seed.ServicePrincipals[i].AppRoles = append(seed.ServicePrincipals[i].AppRoles,
			graphsim.SeedAppRole{Value: ar.Role, DisplayName: ar.Role})
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
