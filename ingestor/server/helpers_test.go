package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
)

func httptestRecorder(h http.Handler, method, path string, body []byte) int {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}
