"""The plugin's pages, a module a page; `datasette_ofsted.routes` lists which path serves which."""
