// Registration functions, one per group of endpoints; Api's constructor calls each once.
#pragma once

#include "api/registrar.h"

namespace tp::api {

void RegisterSystemRoutes(Registrar& registrar);    // /healthz /readyz /metrics /api/v1/openapi.json
void RegisterAuthRoutes(Registrar& registrar);      // /api/v1/auth/...
void RegisterAdminRoutes(Registrar& registrar);     // tenant, users, teams, API keys, audit
void RegisterCustomerRoutes(Registrar& registrar);  // customers, feedback, analytics
void RegisterCaseRoutes(Registrar& registrar);      // cases, their conversation and attachments
void RegisterProfileRoutes(Registrar& registrar);   // timeline, notes, merges, GDPR export and erasure
void RegisterEventRoutes(Registrar& registrar);     // Segment's /v1/* tracking API, /api/v1/events
void RegisterTransferRoutes(Registrar& registrar);  // /api/v1/imports/{kind}, /api/v1/exports/{kind}
void RegisterOutboundRoutes(Registrar& registrar);  // webhooks, deliveries, jobs, test e-mail
void RegisterWebAppRoutes(Registrar& registrar);   // the web application at /app (web/dist/app), / redirects there
void RegisterSurveyRoutes(Registrar& registrar);    // surveys, links, responses; respondents' /s/{token}
void RegisterRuleRoutes(Registrar& registrar);      // rules, dry runs, rule executions
void RegisterSlaRoutes(Registrar& registrar);       // SLA calendars, team calendars, policies, case SLA, attainment
void RegisterAssignmentRoutes(Registrar& registrar);  // agents' availability, teams' auto-assignment
void RegisterAnalyticsRoutes(Registrar& registrar); // POST /api/v1/analytics/query (the analytics engine)

}  // namespace tp::api
