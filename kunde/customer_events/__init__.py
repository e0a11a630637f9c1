"""Customer events (webinars, trade fairs, invitations): invitations, registration, waiting list, check-in."""
