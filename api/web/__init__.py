"""The server-rendered board: sign-in, dashboard, daily-work forms, member and inspection pages."""
