"""The pages for people: templates, styles and scripts shipped inside the package, served by the app."""
