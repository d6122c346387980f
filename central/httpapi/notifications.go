package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
)

// NotificationStore is what the notification centre reads and changes
// (store/notifications implements it).
type NotificationStore interface {
	ListNotifications(ctx context.Context, f notify.Filter) (notify.Page, error)
	MarkRead(ctx context.Context, user, id string, actor domain.Actor) (notify.Notification, error)
	MarkAllRead(ctx context.Context, user string, actor domain.Actor) (int, error)
	ListDeliveries(ctx context.Context, limit int) ([]notify.Delivery, error)
}

// registerNotifications adds the notification centre's routes; without
// Options.Notifications there are none.
func (s *Server) registerNotifications() {
	if s.opts.Notifications == nil {
		return
	}
	const get, post = http.MethodGet, http.MethodPost
	s.handle(get, "/api/v1/notifications", s.listNotifications, Authenticated,
		"your notifications, newest first, with your unread count: exceptions opened and escalated, approvals waiting, reports ready (unread=true; limit 1-200 (20); cursor from next)", domain.Roles()...)
	s.handle(post, "/api/v1/notifications/:id/read", s.readNotification, Authenticated,
		"mark one of your notifications read (audited)", domain.Roles()...)
	s.handle(post, "/api/v1/notifications/read-all", s.readAllNotifications, Authenticated,
		"mark all your notifications read (audited, with the count)", domain.Roles()...)
	s.handle(get, "/api/v1/notify/deliveries", s.listDeliveries, Authenticated,
		"the e-mail and webhook delivery log, newest first: target, status (pending, sent, failed), attempts with their answers (limit 1-1000 (100))", adminOnly...)
}

func (s *Server) listNotifications(c echo.Context) error {
	p := principal(c)
	f := notify.Filter{User: p.Username, Limit: 20, Cursor: c.QueryParam("cursor")}
	switch v := c.QueryParam("unread"); v {
	case "", "false":
	case "true":
		f.UnreadOnly = true
	default:
		return invalid("unread", "unread must be true or false")
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return invalid("limit", "limit must be a whole number from 1 to 200")
		}
		f.Limit = n
	}
	if len(f.Cursor) > 64 || strings.ContainsAny(f.Cursor, "'\"\\\x00") {
		return invalid("cursor", "cursor is not one this API gave")
	}
	page, err := s.opts.Notifications.ListNotifications(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if page.Next != "" {
		q := c.QueryParams()
		q.Set("cursor", page.Next)
		c.Response().Header().Set("Link", `<`+c.Request().URL.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	return c.JSON(http.StatusOK, page)
}

func (s *Server) readNotification(c echo.Context) error {
	p := principal(c)
	n, err := s.opts.Notifications.MarkRead(c.Request().Context(), p.Username, c.Param("id"), p.Actor())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, n)
}

func (s *Server) readAllNotifications(c echo.Context) error {
	p := principal(c)
	n, err := s.opts.Notifications.MarkAllRead(c.Request().Context(), p.Username, p.Actor())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"marked_read": n, "unread": 0})
}

func (s *Server) listDeliveries(c echo.Context) error {
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return invalid("limit", "limit must be a whole number from 1 to 1000")
		}
		limit = n
	}
	ds, err := s.opts.Notifications.ListDeliveries(c.Request().Context(), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ds)
}
