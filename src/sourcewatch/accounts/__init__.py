"""Accounts of the web view: users with a role, argon2id password hashes, sessions.

The CLI's ``--analyst`` stays free text (whoever runs a shell on the server is trusted);
the web view knows who is logged in, and records every change under that name.
"""
