"""Counts over time for the web view's plots: items per day per source, area and entity;
queue in and out per day; a source's captures per day; an entity's timeline."""
