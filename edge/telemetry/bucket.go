package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ensureBucket makes sure the configured database (InfluxDB 1.x) or bucket
// (2.x) exists, creating it when it does not. It is called only with create_bucket: true, and again
// after a failed write, since a database can be dropped under a running edge.
func (w *Writer) ensureBucket(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v1, err := w.isV1(ctx)
	if err != nil {
		return err
	}
	if v1 {
		return w.createDatabaseV1(ctx)
	}
	return w.createBucketV2(ctx)
}

// isV1 tells InfluxDB 1.x from 2.x by the version /health reports or, when
// that says nothing (a build from source reports "unknown"), by whether the
// server has the v2 buckets API: 1.8 answers 404 there.
func (w *Writer) isV1(ctx context.Context) (bool, error) {
	h, err := w.cli.Health(ctx)
	if err != nil {
		return false, fmt.Errorf("influxdb %s: health: %w", w.cfg.URL, err)
	}
	if h.Version != nil {
		switch v := strings.TrimPrefix(*h.Version, "v"); {
		case strings.HasPrefix(v, "1."):
			return true, nil
		case strings.HasPrefix(v, "2.") || strings.HasPrefix(v, "3."):
			return false, nil
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(w.cfg.URL, "/")+"/api/v2/buckets?limit=1", nil)
	if err != nil {
		return false, err
	}
	if w.cfg.Token != "" {
		req.Header.Set("Authorization", "Token "+w.cfg.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("influxdb %s: %w", w.cfg.URL, err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusNotFound, nil
}

// createDatabaseV1 sends CREATE DATABASE to InfluxDB 1.x's /query endpoint
// (it is a no-op when the database exists). The bucket is "db/rp" or "db";
// CREATE DATABASE makes the default retention policy autogen, so any other
// rp must already exist. It needs a user allowed to create databases (an
// admin) when authentication is on.
func (w *Writer) createDatabaseV1(ctx context.Context) error {
	db, _, _ := strings.Cut(w.cfg.Bucket, "/")
	q := url.Values{"q": {`CREATE DATABASE "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(db) + `"`}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(w.cfg.URL, "/")+"/query", strings.NewReader(q.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w.cfg.Token != "" {
		req.Header.Set("Authorization", "Token "+w.cfg.Token) // 1.8 reads "user:password" from it
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("influxdb %s: create database %q: %w", w.cfg.URL, db, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var out struct {
		Error   string `json:"error"`
		Results []struct {
			Error string `json:"error"`
		} `json:"results"`
	}
	_ = json.Unmarshal(body, &out)
	msg := out.Error
	if msg == "" && len(out.Results) > 0 {
		msg = out.Results[0].Error
	}
	if resp.StatusCode != http.StatusOK || msg != "" {
		if msg == "" {
			msg = strings.TrimSpace(string(body))
		}
		return fmt.Errorf("influxdb %s: create database %q: %s: %s", w.cfg.URL, db, resp.Status, msg)
	}
	return nil
}

// createBucketV2 finds the bucket by name and creates it in org (infinite
// retention) when it is not there. The token needs write access to buckets.
func (w *Writer) createBucketV2(ctx context.Context) error {
	if _, err := w.cli.BucketsAPI().FindBucketByName(ctx, w.cfg.Bucket); err == nil {
		return nil
	} else if !strings.Contains(err.Error(), "not found") {
		return fmt.Errorf("influxdb %s: find bucket %q: %w", w.cfg.URL, w.cfg.Bucket, err)
	}
	if w.cfg.Org == "" {
		return errors.New("telemetry.influxdb.org is needed to create a bucket on InfluxDB 2.x")
	}
	org, err := w.cli.OrganizationsAPI().FindOrganizationByName(ctx, w.cfg.Org)
	if err != nil {
		return fmt.Errorf("influxdb %s: find org %q: %w", w.cfg.URL, w.cfg.Org, err)
	}
	if _, err := w.cli.BucketsAPI().CreateBucketWithName(ctx, org, w.cfg.Bucket); err != nil {
		return fmt.Errorf("influxdb %s: create bucket %q in org %q: %w", w.cfg.URL, w.cfg.Bucket, w.cfg.Org, err)
	}
	return nil
}
