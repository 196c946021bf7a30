package c2test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// defaultPlans returns the plans a new [Server] holds, encoded.
func defaultPlans() map[int][]byte {
	plans := map[int]map[string]any{
		1: {"name": "Celtic Sea box survey", "platform_type": "slocum", "platform_serial": "unit_398",
			"status": "active", "waypoints": []any{
				map[string]any{"latitude": 50.1, "longitude": -6.9},
				map[string]any{"latitude": 50.3, "longitude": -6.5},
			}},
		2: {"name": "Station keeping off Plymouth", "platform_type": "sailbuoy", "platform_serial": "SB2016",
			"status": "draft", "waypoints": []any{map[string]any{"latitude": 50.25, "longitude": -4.22}}},
		3: {"name": "Under-ice transect", "platform_type": "autosub_lr", "platform_serial": "ALR_4",
			"status": "draft", "waypoints": []any{}},
	}
	out := make(map[int][]byte, len(plans))
	for id, p := range plans {
		p["id"] = id
		out[id], _ = json.Marshal(p) // cannot fail: plain values
	}
	return out
}

// AddPlan stores plan under id, replacing any plan with that id, so that
// PATCH /planner/plans/{id} finds it. The plan's "id" field is set to id.
// If the plan names a platform (string fields platform_type and
// platform_serial), only tokens that may view it can patch it. It returns an
// error if plan cannot be encoded as JSON.
func (s *Server) AddPlan(id int, plan map[string]any) error {
	p := make(map[string]any, len(plan)+1)
	for k, v := range plan {
		p[k] = v
	}
	p["id"] = id
	enc, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("c2test: encoding plan %d: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plans[id] = enc
	return nil
}

// Plan returns a copy of the plan stored under id, with numbers as
// [json.Number], and reports whether there is one.
func (s *Server) Plan(id int) (map[string]any, bool) {
	s.mu.Lock()
	enc, ok := s.plans[id]
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	plan, err := decodeObject(enc)
	return plan, err == nil
}

// handlePatchPlan serves PATCH /planner/plans/{id}: the body, a JSON object,
// is merged into the plan as a JSON merge patch (RFC 7396: null removes a
// field) and the merged plan is answered. The id cannot be changed.
func (s *Server) handlePatchPlan(w http.ResponseWriter, r *http.Request) {
	perms, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	raw := r.PathValue("id")
	id, err := strconv.Atoi(raw)
	if err != nil {
		writeValidation(w, []fieldError{intError("path", "id", raw)})
		return
	}
	patch, _, ok := readObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	plan, status, detail := s.patchPlanLocked(id, patch, perms)
	s.mu.Unlock()
	if status != http.StatusOK {
		writeDetail(w, status, detail)
		return
	}
	writeJSON(w, http.StatusOK, plan)
}

// patchPlanLocked applies patch to plan id if perms may view its platform.
// On failure it returns the status and detail to answer.
func (s *Server) patchPlanLocked(id int, patch map[string]any, perms permSet) (map[string]any, int, string) {
	enc, ok := s.plans[id]
	if !ok {
		return nil, http.StatusNotFound, "Plan not found"
	}
	plan, err := decodeObject(enc)
	if err != nil {
		return nil, http.StatusInternalServerError, "Stored plan is corrupt"
	}
	typ, _ := plan["platform_type"].(string)
	serial, _ := plan["platform_serial"].(string)
	if typ != "" && serial != "" && !perms.allows(typ, serial) {
		return nil, http.StatusForbidden, "Missing permission: view platform " + typ + "/" + serial
	}
	mergePatch(plan, patch)
	plan["id"] = id
	if enc, err = json.Marshal(plan); err != nil {
		return nil, http.StatusInternalServerError, "Could not store the plan"
	}
	s.plans[id] = enc
	return plan, http.StatusOK, ""
}

// mergePatch applies patch to target as RFC 7396 section 2 describes: null
// deletes, objects merge recursively, anything else replaces.
func mergePatch(target, patch map[string]any) {
	for k, pv := range patch {
		if pv == nil {
			delete(target, k)
			continue
		}
		po, isObj := pv.(map[string]any)
		if !isObj {
			target[k] = pv
			continue
		}
		to, ok := target[k].(map[string]any)
		if !ok {
			to = make(map[string]any)
		}
		mergePatch(to, po)
		target[k] = to
	}
}
