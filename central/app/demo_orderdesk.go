package app

import (
	"context"
	"errors"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// DemoCustomers is the demo's customer master: what the order desk's
// customer field offers, with the grades rush insertion looks at.
var DemoCustomers = []domain.Customer{
	{Code: "DFQC", Name: "东风汽车零部件有限公司", Grade: "A", Contacts: "王磊 采购部 +86 27 5550 1200"},
	{Code: "NORDBRK", Name: "Nordic Brake AB", Grade: "B", Contacts: "Anna Lind, purchasing, +46 31 555 0142"},
	{Code: "HZAUTO", Name: "杭州汽配贸易", Grade: "C"},
}

// seedDemoCustomers adds the demo customers that are missing (a demo
// database from before the customer master gets them too).
func seedDemoCustomers(ctx context.Context, st *store.Store) error {
	system := domain.Actor{Name: "demo-seed", Role: domain.RoleAdmin}
	for _, c := range DemoCustomers {
		if err := st.SaveMaster(ctx, c, domain.SaveCreate, system); err != nil && !errors.Is(err, domain.ErrConflict) {
			return err
		}
	}
	return nil
}
