package afas

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/internal/vendorhttp"
)

type text = vendorhttp.Text

// employeeRow is one row of the employee GetConnector.
type employeeRow struct {
	Medewerker          text `json:"Medewerker"`
	Persoonsnummer      text `json:"Persoonsnummer"`
	Roepnaam            text `json:"Roepnaam"`
	Voornaam            text `json:"Voornaam"`
	Voorvoegsel         text `json:"Voorvoegsel"`
	Achternaam          text `json:"Achternaam"`
	Geboortenaam        text `json:"Geboortenaam"`
	VoorvoegselPartner  text `json:"Voorvoegsel_partner"`
	GeboortenaamPartner text `json:"Geboortenaam_partner"`
	NaamgebruikCode     text `json:"Naamgebruik_code"`
	EmailWerk           text `json:"Email_werk"`
	UPN                 text `json:"UPN"`
}

// employmentRow is one row of the employment GetConnector.
type employmentRow struct {
	Medewerker                          text `json:"Medewerker"`
	ExternalID                          text `json:"ExternalID"`
	BegindatumContract                  text `json:"Begindatum_contract"`
	EinddatumContract                   text `json:"Einddatum_contract"`
	BegindatumFunctie                   text `json:"Begindatum_functie"`
	EinddatumFunctie                    text `json:"Einddatum_functie"`
	OrganisatorischeEenheidCode         text `json:"Organisatorische_eenheid_code"`
	OrganisatorischeEenheidOmschrijving text `json:"Organisatorische_eenheid_omschrijving"`
	FunctieCode                         text `json:"Functie_code"`
	FunctieOmschrijving                 text `json:"Functie_omschrijving"`
	KostenplaatsCode                    text `json:"Kostenplaats_code"`
	WerkgeverCode                       text `json:"Werkgever_code"`
	WerkgeverOmschrijving               text `json:"Werkgever_omschrijving"`
	MedewerkernummerLeidinggevende      text `json:"Medewerkernummer_leidinggevende"`
	SoortMedewerker                     text `json:"Soort_medewerker"`
	FTE                                 text `json:"FTE"`
}

// nameUsage maps AFAS Naamgebruik (code 0-3 or letters) to the model.
// Codes per the AFAS code table: 0 B (own), 1 PB, 2 P, 3 BP.
func nameUsage(code string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case "", "0", "B":
		return hr.NameUsageOwn, nil
	case "1", "PB":
		return hr.NameUsagePartnerOwn, nil
	case "2", "P":
		return hr.NameUsagePartner, nil
	case "3", "BP":
		return hr.NameUsageOwnPartner, nil
	}
	return "", fmt.Errorf("unknown Naamgebruik_code %q", code)
}

// Build turns GetConnector rows into employees. A row that does not decode
// or carries an unreadable value rejects its employee (all of their rows)
// with the reason; the others are returned in the order of the employee
// rows. Employment rows of unknown employees are reported too.
func Build(empRows, jobRows []json.RawMessage) ([]hr.Employee, []hr.Rejection) {
	b := &builder{bad: map[string][]string{}, emps: map[string]*hr.Employee{}}
	b.readEmployees(empRows)
	b.readEmployments(jobRows)
	var out []hr.Employee
	for _, id := range b.order {
		if reasons := b.bad[id]; len(reasons) > 0 {
			b.rejected = append(b.rejected, hr.Rejection{EmployeeID: id, Source: SourceName, Reason: strings.Join(reasons, "; ")})
			continue
		}
		out = append(out, *b.emps[id])
	}
	return out, b.rejected
}

// builder holds what Build has read so far.
type builder struct {
	rejected []hr.Rejection
	bad      map[string][]string // problems that reject an employee, by id
	order    []string            // employee ids in reading order
	emps     map[string]*hr.Employee
}

// readEmployees reads the employee rows: one per employee.
func (b *builder) readEmployees(rows []json.RawMessage) {
	for i, raw := range rows {
		var r employeeRow
		if err := json.Unmarshal(raw, &r); err != nil {
			id := vendorhttp.Field(raw, "Medewerker")
			if id == "" {
				b.rejected = append(b.rejected, hr.Rejection{Source: SourceName, Reason: fmt.Sprintf("employee row %d: %v", i+1, err)})
				continue
			}
			b.bad[id] = append(b.bad[id], fmt.Sprintf("employee row: %v", err))
			if b.emps[id] == nil {
				b.emps[id] = &hr.Employee{EmployeeID: id}
				b.order = append(b.order, id)
			}
			continue
		}
		id := string(r.Medewerker)
		if id == "" {
			b.rejected = append(b.rejected, hr.Rejection{Source: SourceName, Reason: fmt.Sprintf("employee row %d: no Medewerker", i+1)})
			continue
		}
		if b.emps[id] != nil {
			b.bad[id] = append(b.bad[id], "more than one employee row")
			continue
		}
		family := r.Achternaam
		if family == "" {
			family = r.Geboortenaam
		}
		e := &hr.Employee{EmployeeID: id, GivenName: string(r.Voornaam), PreferredName: string(r.Roepnaam),
			Prefix: string(r.Voorvoegsel), FamilyName: string(family),
			PartnerPrefix: string(r.VoorvoegselPartner), PartnerFamilyName: string(r.GeboortenaamPartner),
			WorkEmail: string(r.EmailWerk), UPN: string(r.UPN)}
		if e.GivenName == "" {
			e.GivenName = e.PreferredName
		}
		u, err := nameUsage(string(r.NaamgebruikCode))
		if err != nil {
			b.bad[id] = append(b.bad[id], err.Error())
		}
		e.NameUsage = u
		b.emps[id] = e
		b.order = append(b.order, id)
	}
}

// readEmployments adds the employment rows as contracts of their employees.
func (b *builder) readEmployments(rows []json.RawMessage) {
	for i, raw := range rows {
		var r employmentRow
		if err := json.Unmarshal(raw, &r); err != nil {
			id := vendorhttp.Field(raw, "Medewerker")
			if id != "" && b.emps[id] != nil {
				b.bad[id] = append(b.bad[id], fmt.Sprintf("employment row %d: %v", i+1, err))
			} else {
				b.rejected = append(b.rejected, hr.Rejection{EmployeeID: id, Source: SourceName, Reason: fmt.Sprintf("employment row %d: %v", i+1, err)})
			}
			continue
		}
		id := string(r.Medewerker)
		e := b.emps[id]
		if e == nil {
			b.rejected = append(b.rejected, hr.Rejection{EmployeeID: id, Source: SourceName,
				Reason: fmt.Sprintf("employment row %d: no employee row for Medewerker %q", i+1, id)})
			continue
		}
		c, problems := contractOf(r)
		if len(problems) > 0 {
			for _, p := range problems {
				b.bad[id] = append(b.bad[id], fmt.Sprintf("employment row %d: %s", i+1, p))
			}
			continue
		}
		if c.ID == "" {
			c.ID = fmt.Sprintf("%s-%s", id, c.Start)
		}
		// A repeated id is never renamed: which row is right cannot be told,
		// and a renamed contract would look like a new employment.
		dup := false
		for _, other := range e.Contracts {
			dup = dup || other.ID == c.ID
		}
		if dup {
			b.bad[id] = append(b.bad[id], fmt.Sprintf("employment row %d: ExternalID %q appears more than once", i+1, c.ID))
			continue
		}
		e.Contracts = append(e.Contracts, c)
	}
}

// contractOf maps an employment row. The period is that of the position
// (Begindatum_functie / Einddatum_functie) within the contract: the later
// start and the earlier end of the two.
func contractOf(r employmentRow) (hr.Contract, []string) {
	var problems []string
	day := func(name string, v text) hr.Date {
		d, err := vendorhttp.Day(string(v))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		}
		return d
	}
	end := func(name string, v text) *hr.Date {
		d, err := vendorhttp.EndDay(string(v))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		}
		return d
	}
	cs, fs := day("Begindatum_contract", r.BegindatumContract), day("Begindatum_functie", r.BegindatumFunctie)
	ce, fe := end("Einddatum_contract", r.EinddatumContract), end("Einddatum_functie", r.EinddatumFunctie)
	start := fs
	if start.IsZero() || cs.After(start) {
		start = cs
	}
	if start.IsZero() {
		problems = append(problems, "no Begindatum_functie or Begindatum_contract")
	}
	var stop *hr.Date
	switch {
	case ce == nil:
		stop = fe
	case fe == nil || ce.Before(*fe):
		stop = ce
	default:
		stop = fe
	}
	fte, err := r.FTE.Number()
	if err != nil {
		problems = append(problems, "FTE: "+err.Error())
	}
	company := string(r.WerkgeverOmschrijving)
	if company == "" {
		company = string(r.WerkgeverCode)
	}
	return hr.Contract{
		ID: string(r.ExternalID), Start: start, End: stop,
		JobCode: string(r.FunctieCode), JobTitle: string(r.FunctieOmschrijving),
		Department: string(r.OrganisatorischeEenheidCode), DepartmentName: string(r.OrganisatorischeEenheidOmschrijving),
		CostCenter: string(r.KostenplaatsCode), Company: company,
		ManagerEmployeeID: string(r.MedewerkernummerLeidinggevende), EmployeeType: string(r.SoortMedewerker), FTE: fte,
	}, problems
}
