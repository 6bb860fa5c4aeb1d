package directory

import (
	"fmt"
	"log/slog"
	"time"
)

// User is an Entra ID user as the engine sees it.
type User struct {
	// ID is the Entra object id.
	ID string

	// EmployeeID is the HR employee number: the key between HR and Entra.
	EmployeeID string
	// GivenName, Surname and DisplayName are the person's names.
	GivenName   string
	Surname     string
	DisplayName string
	// UserPrincipalName is the sign-in name, on a verified domain.
	UserPrincipalName string
	// MailNickname is the mail alias (the UPN's local part by convention).
	MailNickname string
	// Mail is the primary SMTP address.
	Mail string
	// JobTitle, Department, CompanyName and EmployeeType describe the job.
	JobTitle     string
	Department   string
	CompanyName  string
	EmployeeType string
	// EmployeeHireDate is the first working day; zero when unset.
	EmployeeHireDate time.Time
	// EmployeeLeaveDateTime is the moment access ends; zero when unset.
	EmployeeLeaveDateTime time.Time
	// CostCenter and Division are employeeOrgData.
	CostCenter string
	Division   string
	// OfficeLocation is the work location.
	OfficeLocation string
	// UsageLocation is a two-letter country code, required for licensing.
	UsageLocation string
	// AccountEnabled says whether the person may sign in.
	AccountEnabled bool

	// ProxyAddresses are read only ("SMTP:primary", "smtp:alias").
	ProxyAddresses []string
	// ManagerID is the manager's object id, filled only by calls that fetch it.
	ManagerID string
	// Licenses are the skuPartNumbers assigned to the user (directly or
	// through a group), filled only by ListUsersWithLicenses (nil elsewhere).
	Licenses []string `json:",omitempty"`
	// InheritedLicenses are those of Licenses the user holds only through a
	// group (group-based licensing): they cannot be removed from the user,
	// only by taking the user out of the group. Filled with Licenses.
	InheritedLicenses []string `json:",omitempty"`
	// OnPremisesSyncEnabled is true for a user synchronised from on-premises
	// Active Directory (Entra Connect / Cloud Sync): its identity and job
	// attributes are mastered there (see SyncMasteredFields).
	OnPremisesSyncEnabled bool `json:",omitempty"`
}

// SyncMasteredFields are the Graph properties of a user synchronised from
// on-premises Active Directory that only the on-premises directory may
// change: a PATCH of any of them answers 400 "Unable to update the specified
// properties for on-premises mastered Directory Sync objects or objects
// currently undergoing migration"
// (https://github.com/microsoftgraph/microsoft-graph-docs/issues/18038 for
// employeeOrgData and employeeHireDate; the Entra Connect attribute flow for
// the rest). usageLocation and employeeLeaveDateTime stay writable in the
// cloud, as do group memberships, licences and app roles. accountEnabled is
// mastered too, but the engine still tries it on exit (some tenants allow
// it) and treats the refusal as handled.
var SyncMasteredFields = []string{
	"employeeId", "givenName", "surname", "displayName", "userPrincipalName", "mailNickname", "mail",
	"jobTitle", "department", "companyName", "employeeType", "employeeHireDate", "employeeOrgData",
	"officeLocation",
}

// UserAttributes is a partial update of a user: only the non-nil fields are
// sent. A pointer to "" (or to a zero time) clears the attribute. CostCenter
// and Division travel together as employeeOrgData: when either is set both
// are sent, a nil one as empty.
type UserAttributes struct {
	// Each field is the User attribute of the same name; nil leaves it as it is.
	EmployeeID            *string
	GivenName             *string
	Surname               *string
	DisplayName           *string
	UserPrincipalName     *string
	MailNickname          *string
	Mail                  *string
	JobTitle              *string
	Department            *string
	CompanyName           *string
	EmployeeType          *string
	EmployeeHireDate      *time.Time
	EmployeeLeaveDateTime *time.Time
	CostCenter            *string
	Division              *string
	OfficeLocation        *string
	UsageLocation         *string
	AccountEnabled        *bool
}

// Fields returns the Graph property names the update sets, in a fixed order.
func (a UserAttributes) Fields() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(a.EmployeeID != nil, "employeeId")
	add(a.GivenName != nil, "givenName")
	add(a.Surname != nil, "surname")
	add(a.DisplayName != nil, "displayName")
	add(a.UserPrincipalName != nil, "userPrincipalName")
	add(a.MailNickname != nil, "mailNickname")
	add(a.Mail != nil, "mail")
	add(a.JobTitle != nil, "jobTitle")
	add(a.Department != nil, "department")
	add(a.CompanyName != nil, "companyName")
	add(a.EmployeeType != nil, "employeeType")
	add(a.EmployeeHireDate != nil, "employeeHireDate")
	add(a.EmployeeLeaveDateTime != nil, "employeeLeaveDateTime")
	add(a.CostCenter != nil || a.Division != nil, "employeeOrgData")
	add(a.OfficeLocation != nil, "officeLocation")
	add(a.UsageLocation != nil, "usageLocation")
	add(a.AccountEnabled != nil, "accountEnabled")
	return out
}

// IsEmpty reports whether the update sets nothing.
func (a UserAttributes) IsEmpty() bool { return len(a.Fields()) == 0 }

// Diff returns the attributes of desired that differ from current: the
// partial update that brings current to desired. ID, ProxyAddresses,
// ManagerID and AccountEnabled are not compared (enabling, disabling and the
// manager have their own operations). Times are compared to the second.
func Diff(current, desired User) UserAttributes {
	var a UserAttributes
	str := func(cur, want string) *string {
		if cur == want {
			return nil
		}
		v := want
		return &v
	}
	tm := func(cur, want time.Time) *time.Time {
		if cur.Truncate(time.Second).Equal(want.Truncate(time.Second)) {
			return nil
		}
		v := want
		return &v
	}
	a.EmployeeID = str(current.EmployeeID, desired.EmployeeID)
	a.GivenName = str(current.GivenName, desired.GivenName)
	a.Surname = str(current.Surname, desired.Surname)
	a.DisplayName = str(current.DisplayName, desired.DisplayName)
	a.UserPrincipalName = str(current.UserPrincipalName, desired.UserPrincipalName)
	a.MailNickname = str(current.MailNickname, desired.MailNickname)
	a.Mail = str(current.Mail, desired.Mail)
	a.JobTitle = str(current.JobTitle, desired.JobTitle)
	a.Department = str(current.Department, desired.Department)
	a.CompanyName = str(current.CompanyName, desired.CompanyName)
	a.EmployeeType = str(current.EmployeeType, desired.EmployeeType)
	a.EmployeeHireDate = tm(current.EmployeeHireDate, desired.EmployeeHireDate)
	a.EmployeeLeaveDateTime = tm(current.EmployeeLeaveDateTime, desired.EmployeeLeaveDateTime)
	if current.CostCenter != desired.CostCenter || current.Division != desired.Division {
		cc, dv := desired.CostCenter, desired.Division
		a.CostCenter, a.Division = &cc, &dv
	}
	a.OfficeLocation = str(current.OfficeLocation, desired.OfficeLocation)
	a.UsageLocation = str(current.UsageLocation, desired.UsageLocation)
	return a
}

// Group is an Entra group, by object id and display name.
type Group struct {
	// ID is the object id.
	ID string
	// DisplayName is the group's name.
	DisplayName string
}

// AppRole names an app role by application (service principal display
// name) and role (the role's value or display name; "" means the default
// access role of an application that declares no roles).
type AppRole struct {
	// App is the application's (service principal's) display name.
	App string
	// Role is the role's value or display name.
	Role string
}

// String returns "App/Role".
func (r AppRole) String() string { return r.App + "/" + r.Role }

// AppRoleAssignment is one app role held by a user.
type AppRoleAssignment struct {
	// ID is the assignment's id.
	ID string
	// ResourceID is the service principal's object id.
	ResourceID string
	// AppRoleID is the role's id.
	AppRoleID string
	// Role is the resolved name, when the resource is known to the cache.
	Role AppRole
}

// Entitlements are what a user holds that the engine may manage.
type Entitlements struct {
	// Groups are the groups the user is a direct member of.
	Groups []Group
	// Licenses are skuPartNumbers of the licences assigned, directly or
	// through a group.
	Licenses []string
	// InheritedLicenses are those of Licenses held only through a group.
	InheritedLicenses []string
	// AppRoles are the user's app role assignments.
	AppRoles []AppRoleAssignment
}

// TemporaryAccessPass is a freshly created Temporary Access Pass. The pass
// is a credential: String, GoString, LogValue and Format never show it; read
// the Pass field where it must go (the notification to the manager).
type TemporaryAccessPass struct {
	// ID is the authentication method's id.
	ID string
	// Pass is the secret.
	Pass string
	// Start is when the pass becomes usable.
	Start time.Time
	// Lifetime is how long it stays usable.
	Lifetime time.Duration
	// UsableOnce is true for a one-time pass.
	UsableOnce bool
}

const redacted = "[REDACTED]"

// String redacts the pass.
func (t TemporaryAccessPass) String() string {
	return fmt.Sprintf("TemporaryAccessPass{ID:%s Pass:%s Start:%s Lifetime:%s UsableOnce:%t}",
		t.ID, redacted, t.Start.Format(time.RFC3339), t.Lifetime, t.UsableOnce)
}

// GoString redacts the pass in %#v.
func (t TemporaryAccessPass) GoString() string { return t.String() }

// Format redacts the pass for every fmt verb.
func (t TemporaryAccessPass) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

// LogValue redacts the pass in slog output.
func (t TemporaryAccessPass) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", t.ID),
		slog.String("pass", redacted),
		slog.Time("start", t.Start),
		slog.Duration("lifetime", t.Lifetime),
		slog.Bool("usableOnce", t.UsableOnce),
	)
}

// TemporaryAccessPassOptions shape a new Temporary Access Pass.
type TemporaryAccessPassOptions struct {
	// Start is when the pass becomes usable; zero means now.
	Start time.Time
	// Lifetime is between 10 minutes and 30 days; zero uses the tenant's default.
	Lifetime time.Duration
	// UsableOnce asks for a one-time pass.
	UsableOnce bool
}

// Mail is a plain message sent from a mailbox of the organisation.
type Mail struct {
	// From is the sending mailbox (UPN or object id); empty uses Config.MailSender.
	From string
	// To are the recipients' addresses.
	To []string
	// Subject and Body are the message.
	Subject string
	Body    string
	// HTML sends Body as HTML instead of text.
	HTML bool
}

// SKU is a subscribed licence.
type SKU struct {
	// ID is the skuId.
	ID string
	// SkuPartNumber is the licence's name, e.g. "SPE_E3".
	SkuPartNumber string
	// Enabled is the number of seats bought (prepaidUnits.enabled).
	Enabled int
	// Consumed is the number of seats in use.
	Consumed int
}
