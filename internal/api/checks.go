package api

import (
	"context"
	"slices"
	"strings"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// runCheckBody answers RunClusterCheck.
type runCheckBody struct {
	CheckID   string `json:"check_id"`
	RequestID string `json:"request_id"`
}

// checkBody is GetClusterCheck's body: the items grouped by category.
type checkBody struct {
	CheckID    string                     `json:"check_id"`
	CheckItems map[string][]checkItemBody `json:"check_items"`
	CreatedAt  string                     `json:"created_at"`
	FinishedAt string                     `json:"finished_at"`
	Message    string                     `json:"message"`
	Status     string                     `json:"status"`
	Type       string                     `json:"type"`
}

// checkItemBody is one verdict. The SDK models items as free-form maps,
// which JSON renders with sorted keys; the fields are declared in that order.
type checkItemBody struct {
	Description string   `json:"description,omitempty"`
	Level       string   `json:"level"`
	Message     string   `json:"message"`
	Name        string   `json:"name"`
	Objects     []string `json:"objects,omitempty"`
	Status      string   `json:"status"`
}

// checkSummary is an item of ListClusterChecks's checks.
type checkSummary struct {
	CheckID    string `json:"check_id"`
	CreatedAt  string `json:"created_at"`
	FinishedAt string `json:"finished_at"`
	Message    string `json:"message"`
	Status     string `json:"status"`
	Type       string `json:"type"`
}

type checksBody struct {
	Checks []checkSummary `json:"checks"`
}

func (s *server) runClusterCheck(ctx context.Context, c *call) (any, error) {
	p, err := decodeRunCheck(c.body)
	if err != nil {
		return nil, err
	}
	id, err := s.backend.RunCheck(ctx, c.account, c.path("cluster_id"), p)
	if err != nil {
		return nil, err
	}
	return &runCheckBody{CheckID: id, RequestID: c.requestID}, nil
}

// decodeRunCheck reads RunClusterCheck's body. ClusterMigrate is a valid
// ACK type that ackup does not implement, so it gets its own message.
func decodeRunCheck(body []byte) (service.CheckParams, error) {
	o, err := decodeObject(body)
	if err != nil {
		return service.CheckParams{}, err
	}
	p := service.CheckParams{Type: o.str("type"), Target: o.str("target"), Options: o.strMap("options")}
	if err := o.Err(); err != nil {
		return p, err
	}
	switch {
	case p.Type == "":
		return p, upgrade.Missingf("type is required; allowed values: %s", strings.Join(checkTypes, ", "))
	case p.Type == "ClusterMigrate":
		return p, upgrade.Invalidf("type ClusterMigrate is not supported by ackup; allowed values: %s", strings.Join(checkTypes, ", "))
	case !slices.Contains(checkTypes, p.Type):
		return p, upgrade.Invalidf("type %q is not allowed; allowed values: %s", p.Type, strings.Join(checkTypes, ", "))
	case p.Type == upgrade.CheckNodePoolUpgrade && p.Target == "":
		return p, upgrade.Missingf("target is required when type is NodePoolUpgrade: the node pool id")
	}
	return p, nil
}

func (s *server) getClusterCheck(ctx context.Context, c *call) (any, error) {
	chk, err := s.backend.GetCheck(ctx, c.account, c.path("cluster_id"), c.path("check_id"))
	if err != nil {
		return nil, err
	}
	body := &checkBody{CheckID: chk.ID, CheckItems: map[string][]checkItemBody{}, CreatedAt: checkTime(chk.Created),
		FinishedAt: checkTime(chk.Finished), Message: chk.Message, Status: chk.Status, Type: chk.Type}
	for _, it := range chk.Items {
		body.CheckItems[it.Category] = append(body.CheckItems[it.Category], checkItemBody{Description: it.Description,
			Level: it.Level, Message: it.Message, Name: it.Name, Objects: it.Objects, Status: it.Status})
	}
	return body, nil
}

func (s *server) listClusterChecks(ctx context.Context, c *call) (any, error) {
	checks, err := s.backend.ListChecks(ctx, c.account, c.path("cluster_id"), c.query.Get("type"), c.query.Get("target"))
	if err != nil {
		return nil, err
	}
	body := &checksBody{Checks: make([]checkSummary, 0, len(checks))}
	for _, chk := range checks {
		body.Checks = append(body.Checks, checkSummary{CheckID: chk.ID, CreatedAt: checkTime(chk.Created),
			FinishedAt: checkTime(chk.Finished), Message: chk.Message, Status: chk.Status, Type: chk.Type})
	}
	return body, nil
}
