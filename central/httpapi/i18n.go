package httpapi

import (
	"bytes"
	_ "embed"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/i18n"
)

//go:embed web/i18n.js
var i18nJS []byte

// LangCookie keeps the language a signed-out browser (a kiosk, the login
// page) chose with ?lang=; a signed-in user's stored choice wins over it.
const LangCookie = "lw_lang"

// requestLang is the language of a response: ?lang=, then the signed-in
// user's stored choice, then the lw_lang cookie, then Accept-Language,
// then English.
func requestLang(c echo.Context) string {
	var stored, cookie string
	if p := principal(c); p != nil {
		stored = p.Lang
	}
	if ck, err := c.Cookie(LangCookie); err == nil {
		cookie = ck.Value
	}
	return i18n.Negotiate(c.Request().Header.Get("Accept-Language"), c.QueryParam("lang"), stored, cookie)
}

// problemTitle is a status's problem+json title in lang.
func problemTitle(lang string, status int) string {
	if key := "problem." + strconv.Itoa(status); i18n.Has(lang, key) {
		return i18n.T(lang, key)
	}
	return http.StatusText(status)
}

// localisePage sets the page's <html lang> to the request's language, and
// keeps a ?lang= choice in a cookie so the next page follows it.
func localisePage(c echo.Context, page []byte) []byte {
	lang := requestLang(c)
	if q := c.QueryParam("lang"); q != "" {
		if l, ok := i18n.Supported(q); ok {
			c.SetCookie(&http.Cookie{Name: LangCookie, Value: l, Path: "/", SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
		}
	}
	attrs := `<html lang="` + lang + `"`
	if p := principal(c); p != nil && p.Kiosk {
		attrs += ` data-kiosk="1"` // session.js shows "kiosk" (a kiosk token cannot read /api/v1/me)
	}
	return bytes.Replace(page, []byte(`<html lang="en"`), []byte(attrs), 1)
}

// registerI18n adds the catalogues, the script that uses them and the
// route that stores a user's language.
func (s *Server) registerI18n() {
	s.handle(http.MethodGet, "/i18n/:file", s.catalogue, Open,
		"a message catalogue for the pages: /i18n/en.json or /i18n/zh-CN.json, with the plant time zone")
	s.handle(http.MethodGet, "/assets/i18n.js", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", i18nJS)
	}, Open, "script that translates the pages (t(), data-i18n, dates in the plant time zone, the language switch)")
	s.handle(http.MethodPost, "/api/v1/me/lang", s.setOwnLang, Authenticated,
		`set your language for pages and messages: {"lang":"zh-CN"}, "en", or "" to follow the browser (audited)`, domain.Roles()...)
	s.lineScoped(http.MethodPost, "/api/v1/me/lang") // an operator signed in by badge may switch too
}

// catalogueDoc is what /i18n/{lang}.json serves.
type catalogueDoc struct {
	Lang      string            `json:"lang"`
	Timezone  string            `json:"timezone"` // IANA; the pages show times in it
	Languages []string          `json:"languages"`
	Messages  map[string]string `json:"messages"`
	// Dashboard is the dashboard's display settings (attainment colours).
	Dashboard DashboardConfig `json:"dashboard"`
}

func (s *Server) catalogue(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("file"), ".json")
	if !ok || i18n.Messages(name) == nil {
		return &Problem{Status: http.StatusNotFound, Field: "lang", Detail: "no catalogue " + c.Param("file") + "; there are " + strings.Join(i18n.Languages, ".json, ") + ".json"}
	}
	tz := s.reports().Timezone
	if tz == "" {
		tz = "UTC"
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
	return c.JSON(http.StatusOK, catalogueDoc{Lang: name, Timezone: tz, Languages: i18n.Languages, Messages: i18n.Messages(name), Dashboard: s.dashboardConfig()})
}

type langRequest struct {
	Lang *string `json:"lang"`
}

func (s *Server) setOwnLang(c echo.Context) error {
	var req langRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Lang == nil {
		return invalid("lang", "lang is required: one of "+strings.Join(i18n.Languages, ", ")+", or \"\" to follow the browser")
	}
	lang := ""
	if *req.Lang != "" {
		l, ok := i18n.Supported(*req.Lang)
		if !ok {
			return invalid("lang", "lang "+strconv.Quote(*req.Lang)+" is not supported; use one of "+strings.Join(i18n.Languages, ", "))
		}
		lang = l
	}
	p := principal(c)
	if p.Via != "session" {
		return &Problem{Status: http.StatusConflict, Field: "lang", Detail: "only a signed-in user has a stored language; an API token sends Accept-Language"}
	}
	if err := s.opts.Store.SetUserLang(c.Request().Context(), p.Username, lang, p.Actor()); err != nil {
		return apiError(err)
	}
	return c.JSON(http.StatusOK, map[string]string{"lang": lang, "effective": i18n.Negotiate(c.Request().Header.Get("Accept-Language"), lang)})
}
