package activities

import (
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/testenv"
)

// planNow is 2026-06-15 12:00 in Amsterdam.
var planNow = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

func d(y int, m time.Month, day int) hr.Date { return hr.NewDate(y, m, day) }

// emp builds an employee with one contract.
var emp = testenv.Employee
