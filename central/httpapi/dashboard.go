package httpapi

import (
	"errors"

	"github.com/linewise/linewise/devices/configerr"
)

// DashboardConfig is how the dashboard shows a line's attainment (good
// parts against expected-by-now, in percent): at or above AttainmentGood
// green, at or above AttainmentWarn amber, below it red. Config keys
// dashboard.attainment_good and dashboard.attainment_warn.
type DashboardConfig struct {
	AttainmentGood float64 `yaml:"attainment_good" json:"attainment_good"`
	AttainmentWarn float64 `yaml:"attainment_warn" json:"attainment_warn"`
}

// DefaultDashboard is 95 % green, 85 % amber (the exceptions' default
// behind_attainment), red below.
func DefaultDashboard() DashboardConfig {
	return DashboardConfig{AttainmentGood: 95, AttainmentWarn: 85}
}

// Validate reports every problem with its key.
func (c DashboardConfig) Validate() error {
	var errs []error
	if c.AttainmentGood <= 0 || c.AttainmentGood > 1000 {
		errs = append(errs, configerr.Field("dashboard.attainment_good", "must be above 0 and at most 1000 (percent), got %v", c.AttainmentGood))
	}
	if c.AttainmentWarn < 0 || c.AttainmentWarn > c.AttainmentGood {
		errs = append(errs, configerr.Field("dashboard.attainment_warn", "must be from 0 to attainment_good (%v), got %v", c.AttainmentGood, c.AttainmentWarn))
	}
	return errors.Join(errs...)
}

func (s *Server) dashboardConfig() DashboardConfig {
	if s.opts.Dashboard != nil {
		return *s.opts.Dashboard
	}
	return DefaultDashboard()
}
