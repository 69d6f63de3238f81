/*
 * template.h — `upws new-plugin NAME [DIR]`: writes a plugin project that
 * builds out of tree against the installed SDK.
 */
#ifndef UPWS_TEMPLATE_H
#define UPWS_TEMPLATE_H

/* Creates DIR (default ./NAME; it must not exist or be empty) holding
 * CMakeLists.txt (find_package(upws) + upws_add_plugin), NAME.c, upws.yaml
 * (a config running the plugin against the mock), README.md and .gitignore,
 * then prints the next commands. NAME: [a-z][a-z0-9_]*, at most 48
 * characters. Returns 0, or 1 after printing why to stderr (nothing is left
 * behind but directories it created). */
int template_new_plugin(const char *name, const char *dir);

#endif
