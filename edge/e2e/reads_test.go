package e2e

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
)

// readers keeps one signed-in client per central base URL: central's reads
// need a user or a token, and the demo seeds supervisor super/super-demo.
var readers sync.Map // base URL → *http.Client

// centralGet reads base+path as the demo supervisor, signing in on first
// use and again after a 401 (a central restarted on a fresh database).
func centralGet(base, path string) (*http.Response, error) {
	v, _ := readers.LoadOrStore(base, newReader())
	c := v.(*http.Client)
	res, err := c.Get(base + path)
	if err != nil || res.StatusCode != http.StatusUnauthorized {
		return res, err
	}
	res.Body.Close()
	login, err := c.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"username":"super","password":"super-demo"}`))
	if err != nil {
		return nil, err
	}
	login.Body.Close()
	return c.Get(base + path)
}

func newReader() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}
