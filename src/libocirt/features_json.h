/* The features document: what this build of the runtime really does.  */
#ifndef OCIRT_FEATURES_JSON_H
#define OCIRT_FEATURES_JSON_H

char *ocirt_features_json (void);

#endif
