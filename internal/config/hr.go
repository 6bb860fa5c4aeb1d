package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/afas"
	"github.com/entralifecycle/engine/internal/hr/file"
	"github.com/entralifecycle/engine/internal/hr/nmbrs"
	"github.com/entralifecycle/engine/internal/hr/raet"
	"github.com/entralifecycle/engine/internal/hr/workday"
)

// AFAS holds the AFAS Profit connector's settings.
type AFAS struct {
	BaseURL             string `envconfig:"LIFECYCLE_AFAS_BASE_URL"`
	Token               string `envconfig:"LIFECYCLE_AFAS_TOKEN"`
	ClientID            string `envconfig:"LIFECYCLE_AFAS_CLIENT_ID"`
	ClientSecret        string `envconfig:"LIFECYCLE_AFAS_CLIENT_SECRET"`
	TokenURL            string `envconfig:"LIFECYCLE_AFAS_TOKEN_URL"`
	EmployeeConnector   string `envconfig:"LIFECYCLE_AFAS_EMPLOYEE_CONNECTOR"`
	EmploymentConnector string `envconfig:"LIFECYCLE_AFAS_EMPLOYMENT_CONNECTOR"`
	PageSize            int    `envconfig:"LIFECYCLE_AFAS_PAGE_SIZE"`
	UPNField            string `envconfig:"LIFECYCLE_AFAS_UPN_FIELD"`
	IntegrationID       string `envconfig:"LIFECYCLE_AFAS_INTEGRATION_ID"`
}

// Raet holds the Visma Raet / Youforce IAM connector's settings.
type Raet struct {
	BaseURL      string `envconfig:"LIFECYCLE_RAET_BASE_URL"`
	TokenURL     string `envconfig:"LIFECYCLE_RAET_TOKEN_URL"`
	ClientID     string `envconfig:"LIFECYCLE_RAET_CLIENT_ID"`
	ClientSecret string `envconfig:"LIFECYCLE_RAET_CLIENT_SECRET"`
	TenantID     string `envconfig:"LIFECYCLE_RAET_TENANT_ID"`
	PageSize     int    `envconfig:"LIFECYCLE_RAET_PAGE_SIZE"`
	Product      string `envconfig:"LIFECYCLE_RAET_PRODUCT"`
	ManagerRole  string `envconfig:"LIFECYCLE_RAET_MANAGER_ROLE"`
}

// Nmbrs holds the Nmbrs REST connector's settings.
type Nmbrs struct {
	BaseURL         string   `envconfig:"LIFECYCLE_NMBRS_BASE_URL"`
	Token           string   `envconfig:"LIFECYCLE_NMBRS_TOKEN"`
	SubscriptionKey string   `envconfig:"LIFECYCLE_NMBRS_SUBSCRIPTION_KEY"`
	CompanyIDs      []string `envconfig:"LIFECYCLE_NMBRS_COMPANY_IDS"`
	PageSize        int      `envconfig:"LIFECYCLE_NMBRS_PAGE_SIZE"`
	ClientID        string   `envconfig:"LIFECYCLE_NMBRS_CLIENT_ID"`
	ClientSecret    string   `envconfig:"LIFECYCLE_NMBRS_CLIENT_SECRET"`
	RefreshToken    string   `envconfig:"LIFECYCLE_NMBRS_REFRESH_TOKEN"`
	// RefreshTokenFile keeps the rotating refresh token across restarts.
	RefreshTokenFile string   `envconfig:"LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE"`
	TokenURL         string   `envconfig:"LIFECYCLE_NMBRS_TOKEN_URL"`
	DebtorIDs        []string `envconfig:"LIFECYCLE_NMBRS_DEBTOR_IDS"`
}

// Workday holds the Workday RaaS connector's settings.
type Workday struct {
	ReportURL    string `envconfig:"LIFECYCLE_WORKDAY_REPORT_URL"`
	Username     string `envconfig:"LIFECYCLE_WORKDAY_USERNAME"`
	Password     string `envconfig:"LIFECYCLE_WORKDAY_PASSWORD"`
	TokenURL     string `envconfig:"LIFECYCLE_WORKDAY_TOKEN_URL"`
	ClientID     string `envconfig:"LIFECYCLE_WORKDAY_CLIENT_ID"`
	ClientSecret string `envconfig:"LIFECYCLE_WORKDAY_CLIENT_SECRET"`
	RefreshToken string `envconfig:"LIFECYCLE_WORKDAY_REFRESH_TOKEN"`
	Columns      string `envconfig:"LIFECYCLE_WORKDAY_COLUMNS"`
}

// HRConnectors are every connector's settings; only the selected source's are used.
type HRConnectors struct {
	FileFormat string `envconfig:"LIFECYCLE_HR_FILE_FORMAT"`
	AFAS       AFAS
	Raet       Raet
	Nmbrs      Nmbrs
	Workday    Workday
}

// Open builds the configured HR source. Connector errors name the variable to fix.
func (h HR) Open(c HRConnectors) (hr.Source, error) {
	switch h.Source {
	case "file":
		if h.File == "" {
			return nil, errors.New("LIFECYCLE_HR_FILE: required when LIFECYCLE_HR_SOURCE is file")
		}
		return wrap(file.New(file.Config{Path: h.File, Format: c.FileFormat}))
	case "afas":
		a := c.AFAS
		if a.BaseURL == "" {
			return nil, errors.New("LIFECYCLE_AFAS_BASE_URL: required when LIFECYCLE_HR_SOURCE is afas")
		}
		return wrap(afas.New(afas.Config{BaseURL: a.BaseURL, Token: a.Token, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
			TokenURL: a.TokenURL, EmployeeConnector: a.EmployeeConnector, EmploymentConnector: a.EmploymentConnector,
			PageSize: a.PageSize, UPNField: a.UPNField, IntegrationID: a.IntegrationID}))
	case "raet":
		r := c.Raet
		return wrap(raet.New(raet.Config{BaseURL: r.BaseURL, TokenURL: r.TokenURL, ClientID: r.ClientID,
			ClientSecret: r.ClientSecret, TenantID: r.TenantID, PageSize: r.PageSize, Product: r.Product, ManagerRole: r.ManagerRole}))
	case "nmbrs":
		n := c.Nmbrs
		return wrap(nmbrs.New(nmbrs.Config{BaseURL: n.BaseURL, Token: n.Token, SubscriptionKey: n.SubscriptionKey,
			CompanyIDs: n.CompanyIDs, PageSize: n.PageSize, ClientID: n.ClientID, ClientSecret: n.ClientSecret, RefreshToken: n.RefreshToken,
			RefreshTokenFile: n.RefreshTokenFile, TokenURL: n.TokenURL, DebtorIDs: n.DebtorIDs}))
	case "workday":
		w := c.Workday
		var cols map[string]string
		if strings.TrimSpace(w.Columns) != "" {
			var err error
			if cols, err = workday.ParseColumns(w.Columns); err != nil {
				return nil, fmt.Errorf("LIFECYCLE_WORKDAY_COLUMNS: %v", err)
			}
		}
		return wrap(workday.New(workday.Config{ReportURL: w.ReportURL, Username: w.Username, Password: w.Password,
			TokenURL: w.TokenURL, ClientID: w.ClientID, ClientSecret: w.ClientSecret, RefreshToken: w.RefreshToken, Columns: cols}))
	default:
		return nil, errors.New("LIFECYCLE_HR_SOURCE: malformed value, want file, afas, nmbrs, raet or workday")
	}
}

// wrap turns a typed nil source into an untyped nil so callers can compare with nil.
func wrap[S hr.Source](s S, err error) (hr.Source, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
