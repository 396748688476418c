/**
 * When both pipelines run the weekly certificate expiry report: Mondays 06:00 UTC (both read cron in UTC),
 * early enough in the week that a certificate found expiring can be renewed before the weekend.
 */
export const SCHEDULE = {
  cron: '0 6 * * 1',
  description: 'Weekly certificate expiry report',
  /** The days before expiry from which the report fails (scripts/cert-report.ts --warn-days). */
  warnDays: 30,
} as const;
