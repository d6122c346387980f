module github.com/linewise/linewise

go 1.26
