package app

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// readTokens holds, per app, a supervisor API token made for the tests:
// every read of central needs a user or a token.
var readTokens sync.Map // *App → string

// readToken returns a's test reader token, creating it on first use.
func readToken(t *testing.T, a *App) string {
	t.Helper()
	if v, ok := readTokens.Load(a); ok {
		return v.(string)
	}
	tok, hash, err := domain.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store().CreateAPIToken(context.Background(), domain.APIToken{ID: "tok-" + hash[:12], Name: "test-reader",
		Role: domain.RoleSupervisor, TokenHash: hash, CreatedAt: time.Now()}, domain.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	readTokens.Store(a, tok)
	return tok
}

// authGet is http.Get of path on a's HTTP address with the reader token.
func authGet(t *testing.T, a *App, path string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+a.HTTPAddr()+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+readToken(t, a))
	return http.DefaultClient.Do(req)
}
